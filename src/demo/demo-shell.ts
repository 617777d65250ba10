import type { SerialConsole } from './ipmi-bmc.js';

/** What the demo shell may show about the simulated chassis. */
export interface DemoShellHost {
  readonly hostname: string;
  power(): boolean;
  /** The last Chassis Control request's data byte (IPMI v2.0 §28.3), null before any. */
  lastControl(): number | null;
  bootFlags(): string | null;
}

const MAX_LINE = 200;
/** Chassis Control's data byte, IPMI v2.0 §28.3 table 28-4. */
const CONTROLS: Record<number, string> = {
  0: 'power down',
  1: 'power up',
  2: 'power cycle',
  3: 'hard reset',
  4: 'pulse diagnostic interrupt',
  5: 'soft shutdown',
};

/**
 * The demo BMC's serial console: a tiny shell-like echo, enough to show that typing reaches the
 * host and its answers come back. Characters are echoed as a terminal in cooked mode would; Enter
 * runs the line. It understands `help`, `echo`, `hostname`, `uname`, `uptime`, `power` and
 * `bootdev`; anything else is "command not found". Not a real shell: nothing is executed.
 */
export function demoShell(host: DemoShellHost, write: (bytes: Buffer) => void): SerialConsole {
  const started = Date.now();
  let line = '';
  let closed = false;
  let afterCr = false; // "\r\n" is one Enter
  const out = (text: string) => {
    if (!closed) write(Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8'));
  };
  const prompt = () => out(`root@${host.hostname}:~# `);

  function run(cmdLine: string): void {
    const [cmd = '', ...args] = cmdLine.trim().split(/\s+/);
    switch (cmd) {
      case '':
        return;
      case 'help':
        return out("This is the demo BMC's serial console: a shell-like echo, nothing runs.\ncommands: help echo hostname uname uptime power bootdev\n");
      case 'echo':
        return out(`${args.join(' ')}\n`);
      case 'hostname':
        return out(`${host.hostname}\n`);
      case 'uname':
        return out('Linux demo 6.1.0-demo #1 SMP x86_64 GNU/Linux\n');
      case 'uptime':
        return out(`up ${Math.round((Date.now() - started) / 1000)} s (since this serial console was opened)\n`);
      case 'power': {
        const last = host.lastControl();
        const what = last === null ? 'none yet' : (CONTROLS[last] ?? `0x${last.toString(16)}`);
        return out(`chassis power is ${host.power() ? 'on' : 'off'}; last chassis control through IPMI: ${what}\n`);
      }
      case 'bootdev': {
        const flags = host.bootFlags();
        return out(flags ? `boot flags set through IPMI: ${flags}\n` : 'no boot device set through IPMI yet\n');
      }
      default:
        return out(`${cmd.slice(0, 40)}: command not found (try "help")\n`);
    }
  }

  out(`\nDemo BMC serial console on ${host.hostname}. Type "help".\n`);
  prompt();
  return {
    input(bytes: Buffer): void {
      for (const ch of bytes.toString('latin1')) {
        const skip = ch === '\n' && afterCr;
        afterCr = ch === '\r';
        if (skip) continue;
        if (ch === '\r' || ch === '\n') {
          out('\n');
          run(line);
          line = '';
          prompt();
        } else if (ch === '\x7f' || ch === '\b') {
          if (line.length > 0) {
            line = line.slice(0, -1);
            out('\b \b');
          }
        } else if (ch === '\x03') {
          line = '';
          out('^C\n');
          prompt();
        } else if (ch >= ' ' && ch <= '~' && line.length < MAX_LINE) {
          line += ch;
          out(ch);
        }
        // Other control characters and escape sequences (arrow keys) are ignored, like a dumb terminal.
      }
    },
    close(): void {
      closed = true;
    },
  };
}
