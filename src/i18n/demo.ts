/**
 * What `siaga simulate` and `siaga demo` print, and the stories they play: the texts a visitor
 * reads while trying siaga without hardware, apart from what the gateway says in earnest.
 */
export const demoId = {
  'simulate.cannot_open':
    'tidak bisa membuka {path} ({code}); berikan --port perangkat serial yang ada atau ujung node dari pasangan pty socat',
  'simulate.not_tty':
    '{path} bukan perangkat serial (tty atau pty); berikan --port perangkat serial atau ujung node dari pasangan pty socat',
  'simulate.unknown_scenario': 'cerita "{name}" tidak dikenal; pakai salah satu dari {scenarios}',
  'simulate.bad_rate': '--rate harus angka ≥ 0 dan --heartbeat angka > 0',
  'simulate.not_simulated': 'tidak ditiru (tanpa --port untuk node serial): {nodes}',
  'simulate.started': 'meniru {n} node (Ctrl-C untuk berhenti)',
  'simulate.started_story': 'meniru {n} node, cerita {story} (Ctrl-C untuk berhenti)',
  'simulate.sent': 'terkirim {n} bingkai',
  'demo.title': 'demo siaga — gateway {id} di {site}, Way Kambas',
  'demo.database': 'basis data {path}',
  'demo.serial_pty': 'pty {path} (socat)',
  'demo.serial_in_process': 'pasangan di dalam proses (pasang socat untuk pty sungguhan)',
  'demo.transports': 'node: serial {serial}, LoRa lewat GWMP udp/{lora}, Wi-Fi lewat MQTT lokal tcp/{mqtt}',
  'demo.story': 'cerita: {name} — {description}',
  'demo.web': 'layar desa {url} (masuk sebagai kantor, kata sandi demo-kantor)',
  'demo.stop_hint': '(Ctrl-C untuk berhenti)',
  'demo.lora_siren_on': '>>> node sirene LoRa {siren} menerima ON, berbunyi, ACK dikirim <<<',
  'demo.lora_siren_off': '    node sirene LoRa {siren} menerima OFF, diam, ACK dikirim',
  'demo.summary': 'ringkasan demo',
  'demo.summary.readings': '  bacaan tersimpan: {n} ({by})',
  'demo.summary.levels': '  perubahan level: {changes}',
  'demo.summary.none': 'tidak ada',
  'demo.summary.highest': '  level tertinggi: {level}; sirene menyala {n} kali',
  'demo.summary.zones': '  zona sekarang: {zones}',
  'demo.summary.alerts':
    '  peringatan ke warga: {incidents} insiden, {sms} SMS, {cap} dokumen CAP di {dir}; dikonfirmasi oleh {acks}',
  'demo.reply': '{name} (ranger yang bertugas) membalas SMS dengan OK dan kodenya',
  'demo.alerts_clock':
    'jam peringatan berjalan {rate} kali lebih cepat: satu detik cerita = {rate} detik eskalasi',
  'story.elephant_night':
    'malam di tepi taman nasional: PIR bergerak, langkah berat di geofon makin dekat, sinar penghalang terputus, kamera jebak melihat gajah; lalu kawanan berbalik dan zona kembali tenang',
  'story.pir_moves': 'PIR di tepi ladang melihat gerakan',
  'story.footfalls': 'geofon merasakan langkah kaki yang berat',
  'story.beam_cut': 'sinar penghalang di jalur gajah terputus',
  'story.camera': 'kamera jebak melihat gajah',
  'story.herd_turns': 'kawanan berbalik masuk ke taman nasional',
  'story.unacknowledged':
    'gajah bertahan di tepi ladang dan tidak ada yang membalas SMS: peringatan naik bertahap (jam peringatan berjalan 60 kali lebih cepat: satu detik = satu menit)',
  'story.elephants_stay': 'gajah-gajah bertahan',
  'story.herd_finally_turns': 'kawanan akhirnya berbalik',
  'story.noisy_pir':
    'satu PIR rusak menyala terus-menerus (angin di rumput); itu saja tidak boleh menaikkan ke AWAS',
  'story.faulty_pir': 'PIR rusak menyala setiap 2 detik',
  'story.panic': 'warga menekan tombol darurat di pos jaga, lalu membatalkannya',
  'story.button_pressed': 'tombol darurat ditekan',
  'story.button_cancelled': 'alarm dibatalkan di pos jaga',
  'story.fence_drop':
    'tegangan pagar listrik jatuh (gajah merobohkan tiang), lalu sinar penghalang di belakangnya terputus dan langkah kaki menyusul',
  'story.fence_low': 'tegangan pagar turun ke 0,5 kV',
  'story.fence_repaired': 'pagar sudah diperbaiki',
  'story.fence_beam_cut': 'sinar penghalang di belakang pagar terputus',
  'story.quiet': 'malam yang tenang: hanya detak (heartbeat)',
} as const;

export const demoEn: Record<keyof typeof demoId, string> = {
  'simulate.cannot_open':
    'cannot open {path} ({code}); give --port an existing serial device or the node end of a socat pty pair',
  'simulate.not_tty':
    '{path} is not a serial device (tty or pty); give --port a serial device or the node end of a socat pty pair',
  'simulate.unknown_scenario': 'unknown scenario "{name}"; use one of {scenarios}',
  'simulate.bad_rate': '--rate takes a number ≥ 0 and --heartbeat a number > 0',
  'simulate.not_simulated': 'not simulated (no --port for serial nodes): {nodes}',
  'simulate.started': 'simulating {n} nodes (Ctrl-C to stop)',
  'simulate.started_story': 'simulating {n} nodes, story {story} (Ctrl-C to stop)',
  'simulate.sent': 'sent {n} frames',
  'demo.title': 'siaga demo — gateway {id} at {site}, Way Kambas',
  'demo.database': 'database {path}',
  'demo.serial_pty': 'pty {path} (socat)',
  'demo.serial_in_process': 'in-process pair (install socat for a real pty)',
  'demo.transports': 'nodes: serial {serial}, LoRa via GWMP udp/{lora}, Wi-Fi via local MQTT tcp/{mqtt}',
  'demo.story': 'story: {name} — {description}',
  'demo.web': 'village screen {url} (log in as kantor, password demo-kantor)',
  'demo.stop_hint': '(Ctrl-C to stop)',
  'demo.lora_siren_on': '>>> LoRa siren node of {siren} heard ON, sounding, ACK sent <<<',
  'demo.lora_siren_off': '    LoRa siren node of {siren} heard OFF, quiet, ACK sent',
  'demo.summary': 'demo summary',
  'demo.summary.readings': '  readings stored: {n} ({by})',
  'demo.summary.levels': '  level changes: {changes}',
  'demo.summary.none': 'none',
  'demo.summary.highest': '  highest level: {level}; siren switched on {n} time(s)',
  'demo.summary.zones': '  zones now: {zones}',
  'demo.summary.alerts':
    '  alerts for people: {incidents} incident(s), {sms} SMS, {cap} CAP document(s) in {dir}; acknowledged by {acks}',
  'demo.reply': '{name} (the ranger on duty) replies to the SMS with OK and the code',
  'demo.alerts_clock':
    'the alerts clock runs {rate} times faster: a second of the story is {rate} s of escalation',
  'story.elephant_night':
    'a night at the park edge: a PIR stirs, geophone footfalls come closer, the beam is cut, a camera trap sees an elephant; then the herd turns back and the zone calms down',
  'story.pir_moves': 'a PIR at the field edge sees movement',
  'story.footfalls': 'the geophone feels heavy footfalls',
  'story.beam_cut': 'the beam across the elephant trail is cut',
  'story.camera': 'the camera trap sees an elephant',
  'story.herd_turns': 'the herd turns back into the park',
  'story.unacknowledged':
    'elephants stay at the field edge and nobody answers the SMS: the alerts escalate step by step (the alerts clock runs 60 times faster: a second is a minute)',
  'story.elephants_stay': 'the elephants stay',
  'story.herd_finally_turns': 'the herd finally turns back',
  'story.noisy_pir':
    'one faulty PIR fires again and again (wind in the grass); it must not raise AWAS on its own',
  'story.faulty_pir': 'a faulty PIR fires every 2 s',
  'story.panic': 'a villager presses the panic button at the guard post, then cancels it',
  'story.button_pressed': 'the panic button is pressed',
  'story.button_cancelled': 'the alarm is cancelled at the guard post',
  'story.fence_drop':
    'the electric fence voltage collapses (an elephant pushed a post over), then the beam behind it is cut and footfalls follow',
  'story.fence_low': 'the fence voltage drops to 0.5 kV',
  'story.fence_repaired': 'the fence is repaired',
  'story.fence_beam_cut': 'the beam behind the fence is cut',
  'story.quiet': 'a quiet night: only heartbeats',
};
