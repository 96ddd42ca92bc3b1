import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliSync } from '../helpers/cli-run.js';

/** A misspelt key (line 3), an unknown zone (line 5) and a missing key file (line 9). */
const threeProblems = join(import.meta.dirname, '..', 'fixtures', 'config-three-problems.yaml');

/** `siaga …` as a person runs it, in a given language; LC_ALL and LC_MESSAGES cleared. */
function siaga(args: string[], LANG = 'C.UTF-8') {
  return runCliSync(args, { LANG });
}

describe('siaga --help', () => {
  it('shows examples and every exit code, in English by default', () => {
    const r = siaga(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: siaga/);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('siaga config check');
    expect(r.stdout).toContain('source <(siaga completion bash)');
    for (const code of ['0', '1', '64', '69', '78'])
      expect(r.stdout).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
    expect(r.stdout).toMatch(/^ {2}init /m);
    expect(r.stdout).toMatch(/^ {2}completion <shell> /m);
  });

  it('speaks Bahasa Indonesia when LANG=id_ID.UTF-8, also in its usage errors', () => {
    const r = siaga(['--help'], 'id_ID.UTF-8');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Pemakaian: siaga/);
    expect(r.stdout).toContain('Perintah:');
    expect(r.stdout).toContain('Kode keluar:');
    expect(r.stdout).toContain('78  konfigurasi tidak valid atau tidak ada');
    expect(r.stdout).not.toContain('Exit codes:');

    const wrong = siaga(['statuss'], 'id_ID.UTF-8');
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toBe(
      "siaga: unknown command 'statuss' (Did you mean status?); lihat siaga --help\n",
    );
  });
});

describe('siaga config check', () => {
  const bad = readFileSync(threeProblems, 'utf8');

  it('lists the typo, the unknown zone and the missing key file in one run, as file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-check-'));
    const file = join(dir, 'siaga.yaml');
    writeFileSync(file, bad);
    const r = siaga(['config', 'check', '-c', file]);
    expect(r.code).toBe(78);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `siaga: config ${file} has 3 problem(s); fix them and run siaga config check again:`,
    );
    expect(lines.slice(1)).toEqual([
      `  ${file}:3:3: storage.retention_day: unknown key "retention_day"; did you mean "retention_days"?`,
      `  ${file}:5:36: nodes[0].zone: unknown zone "z-x"`,
      expect.stringMatching(
        new RegExp(
          `^  ${file}:9:33: commands\\.keys\\[0\\]\\.secret_file: cannot read .*missing\\.key \\(ENOENT\\)`,
        ),
      ),
    ]);
  });

  it('frames the problems in Bahasa Indonesia when LANG=id_ID.UTF-8', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siaga-check-'));
    const file = join(dir, 'siaga.yaml');
    writeFileSync(file, bad);
    const r = siaga(['config', 'check', '-c', file], 'id_ID.UTF-8');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      `konfigurasi ${file} punya 3 masalah; perbaiki lalu jalankan siaga config check lagi:`,
    );
  });
});

describe('siaga completion', () => {
  /** What bash offers after typing `line` and pressing Tab, using the generated script. */
  function complete(line: string): string[] {
    const script = siaga(['completion', 'bash']);
    expect(script.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'siaga-comp-'));
    writeFileSync(join(dir, 'siaga.bash'), script.stdout);
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source "$1"; read -ra COMP_WORDS <<< "$2"; [ "\${2: -1}" = " " ] && COMP_WORDS+=(""); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _siaga_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        '_',
        join(dir, 'siaga.bash'),
        line,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('completes every command the program has, and their subcommands and options', () => {
    const out = siaga(['--help']).stdout;
    const help = out.slice(out.indexOf('Commands:'), out.indexOf('Examples:'));
    const commands = [...help.matchAll(/^ {2}([a-z]+)[ [<]/gm)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(10);
    expect(complete('siaga ').sort()).toEqual(expect.arrayContaining(commands));
    expect(complete('siaga con')).toEqual(['config']);
    expect(complete('siaga -c /etc/siaga/siaga.yaml config ')).toEqual(['check', '--help']);
    expect(complete('siaga config check --j')).toEqual(['--json']);
    expect(complete('siaga completion ')).toEqual(expect.arrayContaining(['bash', 'zsh']));
    // After an option that takes a value: nothing from the list, bash falls back to file names.
    expect(complete('siaga -c ')).toEqual([]);
  });

  it('prints a zsh script and refuses an unknown shell with exit 64', () => {
    const zsh = siaga(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -o default -F _siaga_complete siaga');
    expect(siaga(['completion', 'fish']).code).toBe(64);
  });
});
