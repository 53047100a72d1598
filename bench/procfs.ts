/**
 * Process figures from Linux /proc: CPU time (utime + stime), resident memory (VmRSS) and the
 * children of a process. CPU time comes in clock ticks of 10 ms (USER_HZ 100), so per-run CPU is
 * always a sum over many runs divided by their count, never a single run's delta.
 */
import fs from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name, which may itself hold spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process has exited
  }
}

/** CPU time (user + system) a process has used, in ms; 0 once it has exited. */
export function cpuTimeMs(pid: number): number {
  const fields = statFields(pid);
  if (!fields) return 0;
  // After the command: state(0) ppid(1) … utime(11) stime(12), i.e. stat fields 14 and 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000) / TICKS_PER_SECOND;
}

/** The process's resident set size in KiB, or NaN once it has exited. */
export function rssKib(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The pids whose parent is `pid`, found by scanning /proc (children are few, so this is cheap). */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/** The command line of a process, arguments joined by spaces. */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The CPU time of all `pids` in ms; the difference of two readings is the CPU used between them. */
export function totalCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
}
