/**
 * Noticing that whoever started the local stack is gone. `npm start` runs the stack as
 * npm → `sh -c` → node: when npm dies without passing a signal on (SIGKILL, say), the shell
 * lives on, waiting for us, so watching our own parent is not enough. We also watch our
 * parent's parent, which counts as gone once the parent has been handed to another process.
 */
import fs from 'node:fs';

/** How often the ancestors are checked by default. */
export const DEFAULT_ORPHAN_CHECK_MS = 500;

/**
 * The parent pid of `pid`, read from /proc (Linux); undefined when that process is gone or
 * there is no /proc.
 */
export function parentPidOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command name in parentheses, may itself hold spaces and parentheses; the
  // fields after its closing one are `state ppid …`.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * Calls `onOrphaned` once, when this process's parent or grandparent has died. The timer is
 * unref'd, so it never keeps the process alive by itself. Without /proc (macOS, say) only the
 * parent is watched, so there a SIGKILL to npm still leaves the stack running.
 */
export function watchForOrphaning(
  onOrphaned: () => void,
  intervalMs = DEFAULT_ORPHAN_CHECK_MS,
): NodeJS.Timeout {
  const parent = process.ppid;
  const grandparent = parentPidOf(parent);
  // Pid 1 (init) never dies and 0 means the parent is the container's first process.
  const isGrandparentWatched = grandparent !== undefined && grandparent > 1;
  const timer = setInterval(() => {
    // A dead process's children are re-parented at once (even while it is an unreaped zombie),
    // so comparing parents, rather than probing a pid, is immune to zombies and pid reuse.
    const isParentGone = process.ppid !== parent;
    const isGrandparentGone = isGrandparentWatched && parentPidOf(parent) !== grandparent;
    if (!isParentGone && !isGrandparentGone) return;

    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return timer;
}
