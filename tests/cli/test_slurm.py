"""Command-line tests of examples/slurm/ on a real Slurm: a single-node
cluster (munged, slurmctld, slurmd from Debian's slurm-wlm and munge, run as
root with their own key, ports, configuration and folders under a temporary
directory) runs submit.sh's job arrays and merges; their outputs are compared
byte for byte with runs made without Slurm, and a cancelled array task is
redone, alone, by submitting the same line again. Skipped, with the reason,
when the daemons are missing or the cluster does not come up."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import LONGWEAVE, ROOT, SAMPLE, Failure, Skip, check, main, run_ok, test, write, zstd_bytes

SUBMIT = os.path.join(ROOT, "examples", "slurm", "submit.sh")
CL100K = os.path.join(ROOT, "tests", "fixtures", "tokenizers", "cl100k_base.tiktoken")
DAEMONS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel"]


def free_ports(n):
    """n distinct TCP ports free now (held open together while chosen)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Cluster:
    """A one-node Slurm in its own folder. stop() ends the daemons it started,
    by the pids in their pid files, and removes the folder."""

    def __init__(self):
        missing = [d for d in DAEMONS if not shutil.which(d, path=os.environ["PATH"] +
                                                          ":/usr/sbin:/sbin")]
        if missing:
            raise Skip(f"Slurm is not installed ({', '.join(missing)} missing; "
                       "apt-get install slurm-wlm munge, or make deps)")
        if os.geteuid() != 0:
            raise Skip("starting slurmd needs root")
        # a short path: munged's socket path must fit in sun_path
        self.dir = tempfile.mkdtemp(prefix="lwslurm.", dir="/tmp")
        self.pidfiles = []
        self.env = dict(os.environ, SLURM_CONF=self.path("slurm.conf"),
                        PATH=os.environ["PATH"] + ":/usr/sbin:/sbin")

    def path(self, name):
        return os.path.join(self.dir, name)

    def cmd(self, args, check_rc=True, timeout=30):
        p = subprocess.run(args, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check_rc and p.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def log_tail(self, name, lines=15):
        try:
            return "".join(open(self.path(name), errors="replace").readlines()[-lines:])
        except OSError:
            return f"({name} not written)"

    def start(self):
        try:
            self._start()
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            detail = "".join(self.log_tail(f) for f in ["munged.log", "slurmctld.log", "slurmd.log"])
            self.stop()
            raise Skip(f"the single-node Slurm did not start: {e}" +
                       "".join("\n# " + line for line in detail.splitlines()))

    def _start(self):
        os.chmod(self.dir, 0o711)  # munged wants its socket's folders searchable by all
        for d in ["state", "spool", "munge"]:
            os.mkdir(self.path(d), 0o755 if d == "munge" else 0o700)
        key = self.path("munge/munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        sock = self.path("munge/munge.socket")
        self.pidfiles.append(self.path("munged.pid"))
        self.cmd(["munged", f"--socket={sock}", f"--key-file={key}",
                  f"--pid-file={self.path('munged.pid')}", f"--log-file={self.path('munged.log')}",
                  f"--seed-file={self.path('munge/seed')}"])
        node = self.cmd(["slurmd", "-C"]).splitlines()[0]  # this host's CPUs and memory
        name = re.match(r"NodeName=(\S+)", node).group(1)
        self.cpus = int(re.search(r"\bCPUs=(\d+)", node).group(1))
        d = self.dir
        ctld_port, slurmd_port = free_ports(2)
        write(self.path("slurm.conf"), f"""\
ClusterName=lw{os.getpid()}
SlurmctldHost={name}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={sock}
CredType=cred/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={d}/jobcomp.txt
ReturnToService=2
SlurmdTimeout=30
MessageTimeout=5
KillWait=2
MinJobAge=600
InactiveLimit=0
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,bf_interval=1,defer_batch=0
DependencyParameters=kill_invalid_depend
{node} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=lw Nodes={name} Default=YES MaxTime=INFINITE State=UP
""")
        self.pidfiles.append(self.path("slurmctld.pid"))
        self.cmd(["slurmctld"])
        self.pidfiles.append(self.path("slurmd.pid"))
        self.cmd(["slurmd", "-N", name])
        end = time.time() + 30
        while time.time() < end:
            state = self.cmd(["sinfo", "-h", "-o", "%T"], check_rc=False).strip()
            if state == "idle":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the node is not idle after 30 s (sinfo: {state or 'no answer'})")

    def stop(self):
        if self.path("slurmctld.pid") in self.pidfiles:
            # jobs first: a job's slurmstepd would outlive slurmd
            try:
                jobs = self.cmd(["squeue", "-h", "-o", "%A"], check_rc=False).split()
                if jobs:
                    self.cmd(["scancel"] + jobs, check_rc=False)
                    end = time.time() + 15
                    while time.time() < end and self.cmd(["squeue", "-h", "-o", "%A"],
                                                         check_rc=False).split():
                        time.sleep(0.2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        pids = []
        for f in reversed(self.pidfiles):  # slurmd, slurmctld, then munged
            try:
                pid = int(open(f).read().split()[0])
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
            except (OSError, ValueError, IndexError):
                pass
        end = time.time() + 10
        for pid in pids:
            while os.path.exists(f"/proc/{pid}") and time.time() < end:
                time.sleep(0.05)
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def submit(self, args, env=None):
        """Run submit.sh; returns (array job id or None, merge job id, its output)."""
        e = dict(self.env, **(env or {}))
        p = subprocess.run([SUBMIT] + args, capture_output=True, text=True, env=e, timeout=60)
        check(p.returncode == 0, f"submit.sh exited {p.returncode}: {p.stderr}")
        out = p.stdout
        array = re.search(r"job (\d+): parts ([0-9,-]+) of", out)
        merge = re.search(r"job (\d+): the merge into .*\(([^;]*);", out)
        check(merge, f"submit.sh printed no merge job:\n{out}")
        return (array.group(1) if array else None, array.group(2) if array else None,
                merge.group(1), merge.group(2), out)

    def tasks(self, job):
        """{array task id or None: state} of a job, from scontrol (no slurmdbd)."""
        out = self.cmd(["scontrol", "-o", "show", "job", job], check_rc=False)
        states = {}
        for line in out.splitlines():
            task = re.search(r"\bArrayTaskId=(\S+)", line)
            states[task.group(1) if task else None] = re.search(r"\bJobState=(\S+)", line).group(1)
        return states

    def wait(self, jobs, until=lambda states: all(s not in ("PENDING", "RUNNING", "CONFIGURING",
                                                            "COMPLETING") for s in states),
             timeout=90):
        """Poll until until(every task's state) holds; returns {job: tasks}."""
        end = time.time() + timeout
        while True:
            got = {j: self.tasks(j) for j in jobs}
            if until([s for t in got.values() for s in t.values()]):
                return got
            if time.time() > end:
                raise Failure(f"jobs {jobs} still {got} after {timeout} s\n"
                                     + self.log_tail("slurmctld.log"))
            time.sleep(0.2)


def cluster_test(fn):
    """A test run with a started cluster, stopped whatever happens."""
    def wrapped(tmp):
        c = Cluster()
        try:
            c.start()
            fn(tmp, c)
        finally:
            c.stop()
    wrapped.__name__ = fn.__name__
    return test(wrapped)


def tree(top):
    """{relative path: bytes} of the files under top, the .parts folder and
    the manifests (which name their own command) left out."""
    files = {}
    for d, dirs, names in os.walk(top):
        dirs[:] = [x for x in dirs if not x.endswith(".parts")]
        for n in names:
            if not (n.startswith("manifest") and n.endswith(".json")):
                p = os.path.join(d, n)
                files[os.path.relpath(p, top)] = open(p, "rb").read()
    return files


def all_completed(got, what):
    for job, tasks in got.items():
        check(all(s == "COMPLETED" for s in tasks.values()), f"{what}: job {job}: {tasks}")


def plain_sample():
    """The sample as uncompressed JSON Lines: --part splits such a file at
    line starts (a .zst file goes whole to one part)."""
    return os.path.abspath(write("sample.jsonl", zstd_bytes(SAMPLE)))


@cluster_test
def array_and_merge_give_the_single_runs_output(tmp, c):
    sample = plain_sample()
    res = ["--cpus", "1", "--mem", "200M", "--merge-mem", "200M"]
    env = {"LONGWEAVE": LONGWEAVE}
    # tokenize: the merge of 4 parts is the single run's dataset
    tok = ["4", "tokenize", os.path.abspath("s/cl"), "-t", CL100K, sample, "--append-eod"]
    array, rng, merge, dep, out = c.submit(res + tok, env)
    check(rng == "0-3" and dep == f"--dependency=afterok:{array}", out)
    all_completed(c.wait([array, merge]), "tokenize")
    check(set(c.tasks(array)) == {"0", "1", "2", "3"}, str(c.tasks(array)))
    run_ok(["tokenize", "-t", CL100K, sample, "--append-eod", "-q", "-o", "one/cl"])
    for ext in [".bin", ".idx"]:
        check(open("s/cl" + ext, "rb").read() == open("one/cl" + ext, "rb").read(),
              f"tokenize{ext} differs from the single run")
    # cip: each part packs its own documents, so the reference is the four
    # --part runs made here, one by one, and merged
    cip = ["--seq-len", "8k", "--chunks-per-doc", "2"]
    array, rng, merge, dep, out = c.submit(res + ["4", "cip", os.path.abspath("c"),
                                                  os.path.abspath("one/cl")] + cip, env)
    all_completed(c.wait([array, merge]), "cip")
    for i in range(4):
        run_ok(["cip", "one/cl"] + cip + ["--part", f"{i}/4", "-q", "-o", f"ref.parts/{i}"])
    run_ok(["merge", "-q", "ref"] + [f"ref.parts/{i}" for i in range(4)])
    got, want = tree("c"), tree("ref")
    check(got and got == want, f"cip: {sorted(got)} vs {sorted(want)}")


@cluster_test
def a_cancelled_task_alone_is_redone_by_the_same_line(tmp, c):
    sample = plain_sample()
    # Part 2 waits at a gate before it starts longweave: it is RUNNING, with
    # no output yet, for as long as the gate is there, so it is cancelled
    # mid-way whatever the machine's speed.
    gate, started = os.path.abspath("gate"), os.path.abspath("started")
    write("gate", "")
    wrapper = write("bin/longweave", f"""#!/bin/sh
if [ "${{SLURM_ARRAY_TASK_ID:-}}" = 2 ] && [ -e {gate} ]; then
    touch {started}
    while [ -e {gate} ]; do sleep 0.1; done
fi
exec {LONGWEAVE} "$@"
""")
    os.chmod(wrapper, 0o755)
    line = ["--cpus", "1", "--mem", "200M", "--merge-mem", "200M", "4", "tokenize",
            os.path.abspath("s/cl"), "-t", CL100K, sample]
    env = {"LONGWEAVE": os.path.abspath(wrapper)}
    array, rng, merge, _, out = c.submit(line, env)
    check(rng == "0-3", out)
    c.wait([array], until=lambda _: c.tasks(array) == {"0": "COMPLETED", "1": "COMPLETED",
                                                       "2": "RUNNING", "3": "COMPLETED"}
           and os.path.exists(started))
    c.cmd(["scancel", f"{array}_2"])
    got = c.wait([array, merge])
    check(got[array]["2"] == "CANCELLED", str(got))
    check(got[merge][None] != "COMPLETED" and not os.path.exists("s/cl.bin"),
          f"merged without part 2: {got}")
    check(not os.path.exists("s/cl.parts/part-00002/cl.manifest.json"), "part 2 finished")
    done = {i: os.stat(f"s/cl.parts/part-{i:05d}/cl.manifest.json").st_mtime_ns
            for i in [0, 1, 3]}
    # the same line again: only part 2 is submitted, then the merge
    os.remove(gate)
    array, rng, merge, dep, out = c.submit(line, env)
    check(rng == "2" and dep == f"--dependency=afterok:{array}", out)
    all_completed(c.wait([array, merge]), "resubmitted")
    check(set(c.tasks(array)) == {"2"}, str(c.tasks(array)))
    for i, t in done.items():
        check(os.stat(f"s/cl.parts/part-{i:05d}/cl.manifest.json").st_mtime_ns == t,
              f"part {i} was redone")
    run_ok(["tokenize", "-t", CL100K, sample, "-q", "-o", "one/cl"])
    for ext in [".bin", ".idx"]:
        check(open("s/cl" + ext, "rb").read() == open("one/cl" + ext, "rb").read(),
              f"tokenize{ext} differs from the single run")
    # and once more: nothing is left to run but the merge, which finds its
    # output complete and leaves it alone
    merged = os.stat("s/cl.bin").st_mtime_ns
    array, _, merge, dep, out = c.submit(line, env)
    check(array is None and dep == "no dependency" and "all 4 parts are finished" in out, out)
    all_completed(c.wait([merge]), "merge only")
    check(os.stat("s/cl.bin").st_mtime_ns == merged, "the merge was redone")


if __name__ == "__main__":
    raise SystemExit(main())
