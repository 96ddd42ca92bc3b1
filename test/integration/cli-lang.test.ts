import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUES, type MessageId } from '../../src/i18n/index.js';
import { gatewayYaml } from '../helpers/cli-exit.js';
import { CLI, GatewayProcess, killAllGatewayProcesses } from '../helpers/gateway-process.js';

const ID = 'id_ID.UTF-8';

/** The built `siaga …` as a technician runs it in `LANG`; LC_ALL and LC_MESSAGES cleared. */
function siaga(args: string[], LANG: string) {
  const env = { ...process.env, LANG, LC_ALL: '', LC_MESSAGES: '', SIAGA_CONFIG: '', JOURNAL_STREAM: '' };
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** commander wraps help at the terminal width: compare with the line breaks taken out. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

const dir = mkdtempSync(join(tmpdir(), 'siaga-lang-'));
const config = join(dir, 'siaga.yaml');
// A valid config whose gateway has never run: no database, no socket.
writeFileSync(config, gatewayYaml(dir));
afterAll(async () => {
  await killAllGatewayProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe('siaga in Bahasa Indonesia (LANG=id_ID.UTF-8) and English (LANG=C)', () => {
  const HELP: [string[], MessageId, MessageId][] = [
    [['status'], 'status.cmd', 'opt.json'],
    [['tail'], 'tail.cmd', 'tail.opt.json'],
    [['nodes'], 'nodes.cmd', 'opt.json'],
    [['readings'], 'readings.cmd', 'readings.opt.since'],
    [['siren'], 'siren.cmd', 'cli.opt.help'],
    [['siren', 'test'], 'siren.test.cmd', 'siren.test.opt.seconds'],
    [['siren', 'off'], 'siren.off.cmd', 'cli.opt.help'],
    [['siren', 'silence'], 'siren.silence.cmd', 'siren.silence.opt.json'],
    [['siren', 'unsilence'], 'siren.unsilence.cmd', 'cli.opt.help'],
    [['doctor'], 'doctor.cmd', 'opt.json'],
    [['export'], 'export.cmd', 'export.opt.summary'],
    [['passwd'], 'passwd.cmd', 'cli.opt.help'],
    [['run'], 'run.cmd', 'run.opt.log_format'],
    [['simulate'], 'simulate.cmd', 'simulate.opt.heartbeat'],
    [['demo'], 'demo.cmd', 'demo.opt.quiet_readings'],
  ];

  it.each(HELP)(
    'siaga %j --help describes the command and its options in the reader’s language',
    (cmd, what, option) => {
      const id = siaga([...cmd, '--help'], ID);
      expect(id.code).toBe(0);
      expect(flat(id.stdout)).toContain(flat(CATALOGUES.id[what]));
      expect(flat(id.stdout)).toContain(flat(CATALOGUES.id[option]));
      expect(flat(id.stdout)).not.toContain(flat(CATALOGUES.en[what]));
      const en = siaga([...cmd, '--help'], 'C');
      expect(en.code).toBe(0);
      expect(flat(en.stdout)).toContain(flat(CATALOGUES.en[what]));
      expect(flat(en.stdout)).toContain(flat(CATALOGUES.en[option]));
    },
  );

  it('says the help in plain Indonesian words', () => {
    expect(flat(siaga(['siren', 'silence', '--help'], ID).stdout)).toContain('tombol darurat tetap berbunyi');
    expect(flat(siaga(['readings', '--help'], ID).stdout)).toContain('bacaan yang tersimpan');
    expect(flat(siaga(['readings', '--help'], 'C').stdout)).toContain('stored readings');
  });

  it('status against a stopped gateway: exit 69 and what to do, in either language', () => {
    const id = siaga(['-c', config, 'status'], ID);
    expect(id.code).toBe(69);
    expect(id.stderr).toContain(
      `siaga: gateway tidak berjalan (tidak ada jawaban di ${join(dir, 'siaga.sock')}); nyalakan dengan: sudo systemctl start siaga`,
    );
    const en = siaga(['-c', config, 'status'], 'C');
    expect(en.code).toBe(69);
    expect(en.stderr).toContain('siaga: the gateway is not running (no answer on');
  });

  it('siren silence with a zone the gateway does not have: exit 64 naming the zones it has', () => {
    const id = siaga(['-c', config, 'siren', 'silence', 'z-nope', '10'], ID);
    expect(id.code).toBe(64);
    expect(id.stderr).toBe('siaga: zona "z-nope" tidak dikenal; gateway ini punya: z-braja\n');
    const en = siaga(['-c', config, 'siren', 'silence', 'z-nope', '10'], 'C');
    expect(en.code).toBe(64);
    expect(en.stderr).toBe('siaga: unknown zone "z-nope"; this gateway has: z-braja\n');
    const tooLong = siaga(['-c', config, 'siren', 'silence', 'z-braja', '999'], ID);
    expect(tooLong.code).toBe(64);
    expect(tooLong.stderr).toContain('zona paling lama bisa didiamkan 240 menit');
  });

  it('readings and nodes before the first run say there is no database yet', () => {
    const id = siaga(['-c', config, 'readings'], ID);
    expect(id.stderr).toContain(`belum ada basis data di ${join(dir, 'siaga.db')}`);
    expect(siaga(['-c', config, 'nodes'], 'C').stderr).toContain(
      `no database at ${join(dir, 'siaga.db')} yet`,
    );
    const bad = siaga(['-c', config, 'readings', '--limit', '0'], ID);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--limit harus bilangan bulat dari 1 sampai 1000000, bukan "0"');
  });

  it('config check sums the config up in the reader’s language', () => {
    const id = siaga(['-c', config, 'config', 'check'], ID);
    expect(id.code).toBe(0);
    expect(id.stdout).toContain(`konfigurasi ${config}: OK`);
    expect(id.stdout).toContain('zona z-braja (Braja): 1 node (1 pir); sirene: s-1');
    expect(id.stdout).toContain('uplink: tidak ada (lokal saja)');
    const en = siaga(['-c', config, 'config', 'check'], 'C');
    expect(en.stdout).toContain('zone z-braja (Braja): 1 nodes (1 pir); sirens: s-1');
  });

  it('doctor on a config: findings and fixes in Bahasa Indonesia; --json stays English for scripts', () => {
    const id = siaga(['-c', config, 'doctor'], ID);
    expect(id.stdout).toMatch(/^siaga doctor: .*, diperiksa sebagai pengguna /);
    expect(id.stdout).toContain(
      'valid; gateway gw-life di Desa: 1 node di 1 zona; s-1 (print); serial 0; lora mati',
    );
    expect(id.stdout).toMatch(/^OK +basis data +belum ada basis data di /m);
    expect(id.stdout).toMatch(/^WARN +gateway +tidak berjalan: tidak ada jawaban di /m);
    expect(id.stdout).toContain('perbaiki: sudo systemctl start siaga; bila berhenti lagi');
    expect(id.stdout).not.toContain('fix:');

    const en = siaga(['-c', config, 'doctor'], 'C');
    expect(en.code).toBe(id.code);
    expect(en.stdout).toMatch(/^OK +database +no database at /m);
    expect(en.stdout).toContain('fix: sudo systemctl start siaga; if it stops again');

    const json = JSON.parse(siaga(['-c', config, 'doctor', '--json'], ID).stdout) as {
      checks: { name: string; detail: string }[];
    };
    expect(json.checks.find((c) => c.name === 'database')?.detail).toMatch(/^no database at /);
    expect(json.checks.find((c) => c.name === 'gateway')?.detail).toMatch(/^not running: no answer on /);
  });

  it('status and nodes after the gateway stopped: its last saved status, headings and states translated', async () => {
    const ran = mkdtempSync(join(tmpdir(), 'siaga-lang-ran-'));
    try {
      const gw = await GatewayProcess.start({ dir: ran, yaml: gatewayYaml(ran) });
      await gw.stop();
      const id = siaga(['-c', gw.configFile, 'status'], ID);
      expect(id.code).toBe(69);
      expect(id.stderr).toContain('siaga: gateway tidak berjalan');
      expect(id.stdout).toMatch(
        /^GATEWAY TIDAK BERJALAN — status terakhir disimpan .* lalu; antrean kirim sekarang: /,
      );
      expect(id.stdout).toMatch(/^zona +level +skor +sejak$/m);
      expect(id.stdout).toMatch(/^z-braja +NORMAL +0 +.* lalu$/m);
      expect(id.stdout).toContain('node: 0 hidup, 0 mati, 1 belum terdengar (dari 1)');
      expect(id.stdout).toMatch(/^sirene s-1: diam, 0 detik berbunyi dalam satu jam terakhir$/m);
      const en = siaga(['-c', gw.configFile, 'status'], 'C');
      expect(en.stdout).toMatch(/^GATEWAY NOT RUNNING — last status saved /);
      expect(en.stdout).toMatch(/^zone +level +score +since$/m);
      const js = JSON.parse(siaga(['-c', gw.configFile, 'status', '--json'], ID).stdout) as Record<
        string,
        unknown
      >;
      expect(js).toMatchObject({ running: false, zones: [{ zone: 'z-braja', level: 'NORMAL' }] });

      const nodes = siaga(['-c', gw.configFile, 'nodes'], ID);
      expect(nodes.code).toBe(0);
      expect(nodes.stdout).toContain(
        'gateway tidak berjalan: keadaan node adalah yang terakhir diketahuinya',
      );
      expect(nodes.stdout).toMatch(/^node +zona +jenis +keadaan +terakhir terdengar +baterai/m);
      expect(nodes.stdout).toMatch(
        /^pir-07 +z-braja +pir +tak diketahui \(terakhir diketahui, gateway tidak berjalan\) +belum pernah/m,
      );
    } finally {
      rmSync(ran, { recursive: true, force: true });
    }
  }, 120_000);
});
