"""Memory and completeness of `oracle errors -F --format jsonl` under a steady append rate.

Usage: python3 benches/follow-soak.py [ORACLE] [SECONDS] [LINES_PER_SECOND]
Copies the incident log into a temporary folder, follows it, appends failed-agent
lines at the given rate, and prints the follower's resident memory (VmRSS) and how many
records it printed against how many were written; then stops it with SIGINT.
"""
import os, shutil, signal, subprocess, sys, tempfile, threading, time

oracle = sys.argv[1] if len(sys.argv) > 1 else "target/release/oracle"
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
rate = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
d = tempfile.mkdtemp()
log = os.path.join(d, "a.log")
shutil.copy("fixtures/pipe/teamsters-incident.log", log)
p = subprocess.Popen([oracle, "errors", "-F", "--format", "jsonl", d],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
printed = [0]
threading.Thread(target=lambda: [printed.__setitem__(0, printed[0] + 1) for _ in p.stdout],
                 daemon=True).start()
rss = lambda: next(int(l.split()[1]) for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS"))
time.sleep(1.5)
base = printed[0]
print(f"start: rss {rss()} kB, report records {base}")
n, t0 = 0, time.time()
for sec in range(seconds):
    with open(log, "a") as f:
        for _ in range(rate):
            n += 1
            f.write(f"2026-02-13T12:{n // 60000 % 60:02d}:{n // 1000 % 60:02d}.{n % 1000:03d}Z"
                    f" | lifecycle | agent-{n % 50} | failed | {{\"reason\": \"soak {n}\"}}\n")
    time.sleep(max(0, t0 + sec + 1 - time.time()))
    if sec % 8 == 7:
        print(f"t={sec + 1}s: written {n}, printed {printed[0] - base}, rss {rss()} kB")
time.sleep(3)
print(f"end: written {n}, printed {printed[0] - base}, rss {rss()} kB")
p.send_signal(signal.SIGINT)
print("exit status", p.wait())
shutil.rmtree(d)
