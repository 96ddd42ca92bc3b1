/**
 * Every sentence siaga shows to people, in English and Bahasa Indonesia, keyed by message id.
 * Plain data only: the status page (browser) reads the same catalogue as the CLI.
 * Ids are grouped by where they are shown (`cli.`, `config.`, `init.`, `help.`, …) so the remaining
 * command texts can be moved here one group at a time. `{name}` is a placeholder.
 */
import { commandsEn, commandsId } from './commands.js';
import { doctorEn, doctorId } from './doctor.js';
import { outputEn, outputId } from './output.js';

export const en = {
  ...commandsEn,
  ...outputEn,
  ...doctorEn,
  'cli.description': 'siaga: elephant early-warning gateway for the villages at the edge of Way Kambas',
  'cli.opt.config': 'config file (default: $SIAGA_CONFIG or /etc/siaga/siaga.yaml)',
  'cli.opt.version': 'print the version',
  'cli.opt.help': 'show help for a command',
  'cli.cmd.help': 'show help for a command',
  'cli.opt.socket': 'control socket of the running gateway (default: beside its database)',
  'cli.see_help': 'see siaga --help',
  'cli.unexpected': 'unexpected error (a bug; please report it with this text): {error}',
  'help.title.usage': 'Usage:',
  'help.title.options': 'Options:',
  'help.title.commands': 'Commands:',
  'help.title.arguments': 'Arguments:',
  'help.title.global': 'Global Options:',
  'help.examples': `Examples:
  siaga init                              write a first config, asking step by step
  siaga config check                      check /etc/siaga/siaga.yaml, list every problem
  siaga -c ./siaga.yaml run               run the gateway in the foreground
  siaga status                            levels per zone, sirens, uplink, nodes
  siaga demo                              try it without hardware
  source <(siaga completion bash)         tab completion in this shell`,
  'help.exit_codes': `Exit codes:
  0   ok
  1   failure
  64  wrong usage (unknown command or option, bad value)
  69  gateway not running or unreachable
  78  config invalid or missing`,
  'help.language': 'Messages in Bahasa Indonesia: LANG=id_ID.UTF-8',
  'config.cmd': 'check the config file',
  'config.check.cmd':
    'validate the config file and print a one-screen summary (exit 0, or 78 with every problem)',
  'config.check.opt.json': 'print the validated config (secrets redacted) as JSON',
  'config.invalid': 'config {file} has {count} problem(s); fix them and run siaga config check again:',
  'config.issue.at': '{file}:{line}:{col}: {problem}',
  'config.issue.plain': '{file}: {problem}',
  'config.did_you_mean': 'unknown key "{key}"; did you mean "{suggestion}"?',
  'config.unknown_key': 'unknown key "{key}" (allowed here: {allowed})',
  'completion.cmd': 'print a shell completion script (bash or zsh)',
  'completion.arg.shell': 'bash or zsh',
  'completion.unknown_shell': 'no completion for shell "{shell}"; use bash or zsh',
  'init.cmd': 'write a first config file, asking for the village, its code, coordinates and the centre',
  'init.opt.name': "the village's name",
  'init.opt.code': 'Kemendagri village code, e.g. 18.07.11.2005',
  'init.opt.lat': 'latitude of the gateway (decimal degrees, south is negative)',
  'init.opt.lon': 'longitude of the gateway (decimal degrees)',
  'init.opt.id': 'gateway id (default: gw- and the village name)',
  'init.opt.centre': "the centre's MQTT address, e.g. mqtts://telemetry.example.org:8883 (none: local only)",
  'init.opt.username': 'user name at the centre (default: the gateway id)',
  'init.opt.password_file': 'read the uplink password from this file (instead of asking)',
  'init.opt.serial': 'serial port to read (repeatable; default: every port under /dev/serial/by-id)',
  'init.opt.serial_dir': 'where to look for serial ports',
  'init.opt.zone': 'name of the first zone (default: the village name)',
  'init.opt.node': 'id of the first sensor node',
  'init.opt.node_type': 'type of the first sensor node (pir, seis, cam, beam, fence, gps, btn)',
  'init.opt.output': 'config file to write',
  'init.opt.force': 'overwrite an existing config file',
  'init.opt.non_interactive': 'ask nothing; every missing answer is an error (for scripts)',
  'init.intro': 'siaga init: a first config in a few questions. Press Enter to take the [default].',
  'init.ask.name': "Village's name",
  'init.ask.code': 'Kemendagri village code (e.g. 18.07.11.2005)',
  'init.ask.lat': 'Latitude (e.g. -5.02)',
  'init.ask.lon': 'Longitude (e.g. 105.76)',
  'init.ask.id': 'Gateway id',
  'init.ask.centre': "Centre's MQTT address (empty: local only)",
  'init.ask.username': 'User name at the centre',
  'init.ask.password': 'Uplink password (empty: none)',
  'init.ask.serial': 'Read serial port {port}? (y/n)',
  'init.ask.zone': 'Name of the first zone',
  'init.ask.node': 'Id of the first sensor node',
  'init.ask.node_type': 'Its type (pir, seis, cam, beam, fence, gps, btn)',
  'init.no_serial': 'no serial ports found under {dir}',
  'init.invalid_answer': '{what}: {problem}; try again',
  'init.missing': '{what} is needed: pass --{flag} (or drop --non-interactive to be asked)',
  'init.bad_value': '--{flag}: {problem}',
  'init.not_number': 'must be a number',
  'init.stdin_ended': 'input ended before every question was answered',
  'init.exists': '{file} exists; pass --force to overwrite it, or -o another file',
  'init.wrote': 'wrote {file}',
  'init.wrote_secret': 'wrote {file} (mode 0600)',
  'init.command_key': 'command key "{id}" is in {file}: give it to the centre over a safe channel',
  'init.next': `Next steps:
  1. Check it:        siaga config check -c {file}
  2. Add nodes, zones and sirens in {file} (see config/siaga.example.yaml)
  3. Run it:          sudo systemctl restart siaga   (or: siaga -c {file} run)`,
} as const;

export type MessageId = keyof typeof en;

/** Bahasa Indonesia. Typed against `en`, so a missing translation does not compile. */
export const id: Record<MessageId, string> = {
  ...commandsId,
  ...outputId,
  ...doctorId,
  'cli.description': 'siaga: gateway peringatan dini gajah untuk desa-desa di tepi Way Kambas',
  'cli.opt.config': 'berkas konfigurasi (bawaan: $SIAGA_CONFIG atau /etc/siaga/siaga.yaml)',
  'cli.opt.version': 'tampilkan versi',
  'cli.opt.help': 'tampilkan bantuan untuk perintah',
  'cli.cmd.help': 'tampilkan bantuan untuk perintah',
  'cli.opt.socket': 'soket kendali gateway yang sedang berjalan (bawaan: di samping basis datanya)',
  'cli.see_help': 'lihat siaga --help',
  'cli.unexpected': 'galat tak terduga (bug; mohon laporkan beserta teks ini): {error}',
  'help.title.usage': 'Pemakaian:',
  'help.title.options': 'Opsi:',
  'help.title.commands': 'Perintah:',
  'help.title.arguments': 'Argumen:',
  'help.title.global': 'Opsi Global:',
  'help.examples': `Contoh:
  siaga init                              tulis konfigurasi pertama, ditanya langkah demi langkah
  siaga config check                      periksa /etc/siaga/siaga.yaml, daftar semua masalah
  siaga -c ./siaga.yaml run               jalankan gateway di latar depan
  siaga status                            level tiap zona, sirene, uplink, node
  siaga demo                              coba tanpa perangkat keras
  source <(siaga completion bash)         pelengkapan Tab di shell ini`,
  'help.exit_codes': `Kode keluar:
  0   berhasil
  1   gagal
  64  pemakaian salah (perintah atau opsi tak dikenal, nilai salah)
  69  gateway tidak berjalan atau tak terjangkau
  78  konfigurasi tidak valid atau tidak ada`,
  'help.language': 'Pesan dalam bahasa Inggris: LANG=en_US.UTF-8',
  'config.cmd': 'periksa berkas konfigurasi',
  'config.check.cmd':
    'periksa berkas konfigurasi dan tampilkan ringkasan satu layar (keluar 0, atau 78 dengan semua masalah)',
  'config.check.opt.json': 'tampilkan konfigurasi yang sudah diperiksa (rahasia disamarkan) sebagai JSON',
  'config.invalid':
    'konfigurasi {file} punya {count} masalah; perbaiki lalu jalankan siaga config check lagi:',
  'config.issue.at': '{file}:{line}:{col}: {problem}',
  'config.issue.plain': '{file}: {problem}',
  'config.did_you_mean': 'kunci "{key}" tidak dikenal; maksudnya "{suggestion}"?',
  'config.unknown_key': 'kunci "{key}" tidak dikenal (yang boleh di sini: {allowed})',
  'completion.cmd': 'tampilkan skrip pelengkapan shell (bash atau zsh)',
  'completion.arg.shell': 'bash atau zsh',
  'completion.unknown_shell': 'tidak ada pelengkapan untuk shell "{shell}"; pakai bash atau zsh',
  'init.cmd': 'tulis berkas konfigurasi pertama: nama desa, kodenya, koordinat dan alamat pusat',
  'init.opt.name': 'nama desa',
  'init.opt.code': 'kode desa Kemendagri, mis. 18.07.11.2005',
  'init.opt.lat': 'lintang gateway (derajat desimal, selatan negatif)',
  'init.opt.lon': 'bujur gateway (derajat desimal)',
  'init.opt.id': 'id gateway (bawaan: gw- dan nama desa)',
  'init.opt.centre': 'alamat MQTT pusat, mis. mqtts://telemetry.example.org:8883 (kosong: lokal saja)',
  'init.opt.username': 'nama pengguna di pusat (bawaan: id gateway)',
  'init.opt.password_file': 'baca kata sandi uplink dari berkas ini (tanpa ditanya)',
  'init.opt.serial': 'port serial yang dibaca (boleh berulang; bawaan: semua port di /dev/serial/by-id)',
  'init.opt.serial_dir': 'tempat mencari port serial',
  'init.opt.zone': 'nama zona pertama (bawaan: nama desa)',
  'init.opt.node': 'id node sensor pertama',
  'init.opt.node_type': 'jenis node sensor pertama (pir, seis, cam, beam, fence, gps, btn)',
  'init.opt.output': 'berkas konfigurasi yang ditulis',
  'init.opt.force': 'timpa berkas konfigurasi yang sudah ada',
  'init.opt.non_interactive': 'tanpa pertanyaan; jawaban yang kurang menjadi galat (untuk skrip)',
  'init.intro': 'siaga init: konfigurasi pertama dalam beberapa pertanyaan. Tekan Enter untuk [bawaan].',
  'init.ask.name': 'Nama desa',
  'init.ask.code': 'Kode desa Kemendagri (mis. 18.07.11.2005)',
  'init.ask.lat': 'Lintang (mis. -5.02)',
  'init.ask.lon': 'Bujur (mis. 105.76)',
  'init.ask.id': 'Id gateway',
  'init.ask.centre': 'Alamat MQTT pusat (kosong: lokal saja)',
  'init.ask.username': 'Nama pengguna di pusat',
  'init.ask.password': 'Kata sandi uplink (kosong: tanpa)',
  'init.ask.serial': 'Baca port serial {port}? (y/n)',
  'init.ask.zone': 'Nama zona pertama',
  'init.ask.node': 'Id node sensor pertama',
  'init.ask.node_type': 'Jenisnya (pir, seis, cam, beam, fence, gps, btn)',
  'init.no_serial': 'tidak ada port serial di {dir}',
  'init.invalid_answer': '{what}: {problem}; coba lagi',
  'init.missing': '{what} diperlukan: berikan --{flag} (atau tanpa --non-interactive agar ditanya)',
  'init.bad_value': '--{flag}: {problem}',
  'init.not_number': 'harus berupa angka',
  'init.stdin_ended': 'masukan berakhir sebelum semua pertanyaan dijawab',
  'init.exists': '{file} sudah ada; berikan --force untuk menimpanya, atau -o berkas lain',
  'init.wrote': 'menulis {file}',
  'init.wrote_secret': 'menulis {file} (mode 0600)',
  'init.command_key': 'kunci perintah "{id}" ada di {file}: serahkan ke pusat lewat saluran yang aman',
  'init.next': `Langkah berikutnya:
  1. Periksa:         siaga config check -c {file}
  2. Tambahkan node, zona dan sirene di {file} (lihat config/siaga.example.yaml)
  3. Jalankan:        sudo systemctl restart siaga   (atau: siaga -c {file} run)`,
};
