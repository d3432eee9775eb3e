// CPU time of server processes, read from /proc (Linux only), and the
// description of the machine for the report.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of the utime and stime fields of /proc/<pid>/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

interface ProcessStat {
  pid: number;
  parentPid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
  // The command name (field 2) is in parentheses and may contain spaces, so fields are counted after the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) … utime(14) stime(15), so index = field number - 3.
  return { pid, parentPid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function allProcesses(): ProcessStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((stat): stat is ProcessStat => stat !== undefined);
}

/** List the process and its live descendants, such as cluster workers. */
function processTree(rootPid: number): ProcessStat[] {
  const processes = allProcesses();
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of processes) {
      if (!tree.has(stat.pid) && tree.has(stat.parentPid)) {
        tree.add(stat.pid);
        grew = true;
      }
    }
  }
  return processes.filter((stat) => tree.has(stat.pid));
}

/**
 * CPU seconds (user + system) used so far by a process and all its live
 * descendants. Descendants that already exited are not counted, so compare
 * two readings only while the process tree is stable.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  return processTree(rootPid).reduce((sum, stat) => sum + stat.ticks, 0) / CLOCK_TICKS;
}

/**
 * Count the live Node.js processes in the tree, which shows whether the
 * server runs cluster workers. Helpers such as the esbuild service that tsx
 * starts are not counted, though their CPU time is.
 */
export function processTreeSize(rootPid: number): number {
  return processTree(rootPid).filter((stat) => executableName(stat.pid) === 'node').length;
}

/**
 * Return the base name of the program a process runs, from its first argument.
 * The name in /proc/<pid>/stat is the main thread's, which Node.js 24 renames to "MainThread".
 */
function executableName(pid: number): string | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return first.slice(first.lastIndexOf('/') + 1);
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
}

export function describeMachine(): MachineDescription {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  return {
    cpuModel: model.trim(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
  };
}
