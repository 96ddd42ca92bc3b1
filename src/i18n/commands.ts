/**
 * What `--help` says about each command and option, grouped by command. Kept apart from the
 * output sentences so a translator sees one command's help in one place.
 */
export const commandsEn = {
  'opt.json': 'JSON for scripts',
  'opt.node': 'only this node',
  'opt.scenario': 'story to play: {scenarios}',
  'status.cmd':
    'levels per zone, sirens, backlog, uplink, nodes online/offline, clock, disk (asks the running gateway)',
  'tail.cmd': 'follow readings and events live (Ctrl-C to stop)',
  'tail.opt.type': 'only this reading type',
  'tail.opt.json': 'one JSON object per line',
  'nodes.cmd': 'one row per node: zone, type, last seen, battery, rssi, lost, resets, online',
  'readings.cmd': 'stored readings (reads the database; works with the gateway running or stopped)',
  'readings.opt.since': 'how far back: 30m, 6h, 2d, or a date/time',
  'readings.opt.until': 'up to (default now)',
  'readings.opt.type': 'only this reading type (hb pir seis beam cam fence gps btn)',
  'readings.opt.limit': 'at most this many (the newest)',
  'alerts.cmd':
    'open incidents: level, who was told (SMS, CAP), delivery, acknowledgements (asks the running gateway)',
  'alerts.ack.cmd': 'acknowledge an incident by its 4-digit code (or id): stops its escalation',
  'alerts.ack.opt.by': 'who acknowledges (default: your user name)',
  'alerts.test.cmd': 'send a contact a test SMS marked TES and publish a CAP document with status Test',
  'alerts.inbox.cmd':
    "read received SMS files now (gammu-smsd's RunOnReceive hook); the gateway also polls its inbox",
  'lora.cmd': 'LoRaWAN devices of this gateway (reads the database)',
  'lora.devices.cmd':
    'one row per LoRa device: node, activation (ABP/OTAA), DevAddr, FCnt up/down, last join',
  'siren.cmd': 'test, stop or silence sirens on the running gateway',
  'siren.test.cmd': 'sound one siren (self_test_s, or --seconds), switch it off, check it; exit 1 on a fault',
  'siren.test.opt.seconds': 'how long to sound (1 to 60)',
  'siren.off.cmd': 'switch one siren off now (a new alarm sounds it again)',
  'siren.silence.cmd':
    'keep a zone silent for N minutes (max siren_policy.max_silence_min, 240); a panic button still sounds',
  'siren.silence.opt.json': 'JSON for scripts (times in ISO 8601)',
  'siren.unsilence.cmd': 'lift a zone’s silence now',
  'doctor.cmd': 'check serial ports, UDP/TCP ports, disk, database, clock, uplink, permissions; print fixes',
  'export.cmd':
    'CSV of stored readings, or of the daily summaries, with the site columns (village code, park, coordinates)',
  'export.opt.from':
    "start: a date (2026-11-01, the site's local day), a date-time, today, or a duration back (7d)",
  'export.opt.to': 'end (default now)',
  'export.opt.summary': 'one row per day (Satu Data daily summary) instead of one row per reading',
  'export.opt.output': 'write to a file instead of stdout',
  'replay.cmd':
    'run stored readings through the engine with this config (-c): the level changes, sirens and SMS it would have produced',
  'replay.opt.from': 'a gateway database (siaga.db, read only) or a readings CSV from siaga export',
  'passwd.cmd': 'read a password (twice, no echo; or one line from stdin) and print its scrypt hash',
  'run.cmd': 'run the gateway in the foreground (systemd runs exactly this); SIGHUP reloads the config',
  'run.opt.log_level': 'log level, over the config file',
  'run.opt.verbose': 'log at debug (-vv: trace)',
  'run.opt.log_format': 'auto: journald priorities under systemd, readable lines on a terminal, else JSON',
  'simulate.cmd':
    'simulated nodes of the config feeding a running gateway: serial pty, LoRa GWMP over UDP, local MQTT',
  'simulate.opt.port':
    'serial device to write SG1/JSON lines to (the node end of a pty pair or a loop-back adapter)',
  'simulate.opt.rate': 'extra background frames per second',
  'simulate.opt.heartbeat': 'seconds between each node’s heartbeats',
  'simulate.opt.duration': 'stop after this many seconds (default: after the scenario, or never)',
  'simulate.opt.no_lora': 'do not send LoRa uplinks to the gateway’s GWMP port',
  'simulate.opt.mqtt_passwords': 'YAML map of local broker username → password for Wi-Fi nodes',
  'demo.cmd':
    'the gateway with its built-in broker, simulated nodes and a siren that prints: an elephant approach end to end',
  'demo.opt.once': 'exit after the story with a summary (exit 0)',
  'demo.opt.quiet_readings': 'show only events and sirens, not every reading',
} as const;

export const commandsId: Record<keyof typeof commandsEn, string> = {
  'opt.json': 'JSON untuk skrip',
  'opt.node': 'hanya node ini',
  'opt.scenario': 'cerita yang diputar: {scenarios}',
  'status.cmd':
    'level tiap zona, sirene, antrean, uplink, node hidup/mati, jam, disk (bertanya ke gateway yang berjalan)',
  'tail.cmd': 'ikuti bacaan dan kejadian langsung (Ctrl-C untuk berhenti)',
  'tail.opt.type': 'hanya jenis bacaan ini',
  'tail.opt.json': 'satu objek JSON per baris',
  'nodes.cmd': 'satu baris per node: zona, jenis, terakhir terdengar, baterai, rssi, hilang, reset, hidup',
  'lora.cmd': 'perangkat LoRaWAN gateway ini (membaca basis data)',
  'lora.devices.cmd':
    'satu baris per perangkat LoRa: node, aktivasi (ABP/OTAA), DevAddr, FCnt naik/turun, join terakhir',
  'readings.cmd': 'bacaan yang tersimpan (membaca basis data; bisa saat gateway berjalan maupun berhenti)',
  'readings.opt.since': 'sejak kapan: 30m, 6h, 2d, atau tanggal/jam',
  'readings.opt.until': 'sampai (bawaan: sekarang)',
  'readings.opt.type': 'hanya jenis bacaan ini (hb pir seis beam cam fence gps btn)',
  'readings.opt.limit': 'paling banyak sejumlah ini (yang terbaru)',
  'alerts.cmd':
    'insiden terbuka: level, siapa yang diberi tahu (SMS, CAP), pengiriman, konfirmasi (bertanya ke gateway yang berjalan)',
  'alerts.ack.cmd': 'konfirmasi insiden dengan kode 4 angka (atau id-nya): menghentikan eskalasinya',
  'alerts.ack.opt.by': 'siapa yang mengonfirmasi (bawaan: nama pengguna Anda)',
  'alerts.test.cmd': 'kirim SMS uji bertanda TES ke satu kontak dan terbitkan dokumen CAP berstatus Test',
  'alerts.inbox.cmd':
    'baca berkas SMS masuk sekarang (hook RunOnReceive gammu-smsd); gateway juga memeriksa inbox sendiri',
  'siren.cmd': 'uji, matikan atau diamkan sirene di gateway yang berjalan',
  'siren.test.cmd':
    'bunyikan satu sirene (self_test_s, atau --seconds), matikan, periksa; keluar 1 bila rusak',
  'siren.test.opt.seconds': 'berapa lama berbunyi (1 sampai 60 detik)',
  'siren.off.cmd': 'matikan satu sirene sekarang (alarm baru akan membunyikannya lagi)',
  'siren.silence.cmd':
    'diamkan sirene satu zona selama N menit (paling lama siren_policy.max_silence_min, 240); tombol darurat tetap berbunyi',
  'siren.silence.opt.json': 'JSON untuk skrip (waktu dalam ISO 8601)',
  'siren.unsilence.cmd': 'cabut diamnya zona sekarang',
  'doctor.cmd':
    'periksa port serial, port UDP/TCP, disk, basis data, jam, uplink, izin berkas; tampilkan cara memperbaiki',
  'export.cmd':
    'CSV bacaan tersimpan, atau ringkasan harian, dengan kolom lokasi (kode desa, taman nasional, koordinat)',
  'export.opt.from':
    'mulai: tanggal (2026-11-01, hari setempat), tanggal-jam, today, atau mundur sekian waktu (7d)',
  'export.opt.to': 'akhir (bawaan: sekarang)',
  'export.opt.summary': 'satu baris per hari (ringkasan harian Satu Data), bukan satu baris per bacaan',
  'export.opt.output': 'tulis ke berkas, bukan ke layar (stdout)',
  'replay.cmd':
    'jalankan bacaan tersimpan lewat mesin deteksi dengan konfigurasi ini (-c): perubahan level, sirene dan SMS yang akan terjadi',
  'replay.opt.from': 'basis data gateway (siaga.db, hanya dibaca) atau CSV bacaan dari siaga export',
  'passwd.cmd':
    'baca kata sandi (dua kali, tanpa tampil; atau satu baris dari stdin) lalu tampilkan hash scrypt-nya',
  'run.cmd':
    'jalankan gateway di latar depan (persis yang dijalankan systemd); SIGHUP memuat ulang konfigurasi',
  'run.opt.log_level': 'tingkat log, menimpa berkas konfigurasi',
  'run.opt.verbose': 'log tingkat debug (-vv: trace)',
  'run.opt.log_format':
    'auto: prioritas journald di bawah systemd, baris mudah dibaca di terminal, selain itu JSON',
  'simulate.cmd':
    'node tiruan dari konfigurasi yang mengirim ke gateway yang berjalan: pty serial, LoRa GWMP lewat UDP, MQTT lokal',
  'simulate.opt.port':
    'perangkat serial tujuan baris SG1/JSON (ujung node dari pasangan pty atau adaptor loop-back)',
  'simulate.opt.rate': 'bingkai latar tambahan per detik',
  'simulate.opt.heartbeat': 'detik di antara detak (heartbeat) tiap node',
  'simulate.opt.duration':
    'berhenti setelah sekian detik (bawaan: setelah cerita selesai, atau tidak pernah)',
  'simulate.opt.no_lora': 'jangan kirim uplink LoRa ke port GWMP gateway',
  'simulate.opt.mqtt_passwords': 'berkas YAML: nama pengguna broker lokal → kata sandi, untuk node Wi-Fi',
  'demo.cmd':
    'gateway dengan broker bawaannya, node tiruan dan sirene yang mencetak: gajah mendekat dari awal sampai akhir',
  'demo.opt.once': 'keluar setelah cerita selesai, dengan ringkasan (keluar 0)',
  'demo.opt.quiet_readings': 'tampilkan hanya kejadian dan sirene, bukan setiap bacaan',
};
