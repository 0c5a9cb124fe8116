#!/usr/bin/env python3
"""Many downloads of one object through the VIP at once, held mid-stream, then resumed and checked.

Run in the lab's client namespace (./trods lab exec client -- python3 many-downloads.py ...):
  1. opens N connections, sends a GET of PATH on each, reads the head and HOLD bytes of the body
     (the connections then stay open, the server's side blocked on a full window: mid-download);
  2. writes WORK/ready ("<n> <server>:<count> ...") and waits for WORK/go (the caller crashes a server);
  3. reads MORE further bytes from every connection and compares every byte received with the
     object's file (FILE, the docroot's copy), at its offset;
  4. writes WORK/result, one JSON object: ok, failed (with reasons), by server.
A connection is ok when all its bytes match and it delivered HOLD + MORE body bytes in time.
"""
import fcntl, json, os, selectors, socket, struct, sys, termios, time

vip, path, file_path, work = sys.argv[1:5]
n, hold, more, deadline_s = (int(a) for a in sys.argv[5:9])
# The receive buffer (SO_RCVBUF; the kernel doubles it): smaller than MORE, so that no download
# can pass on what its socket already held when the server crashed.
rcvbuf = int(sys.argv[9]) if len(sys.argv) > 9 else 1 << 20
obj = open(file_path, "rb")
size = os.fstat(obj.fileno()).st_size


class Download:
    def __init__(self, i):
        self.i, self.head, self.body, self.server, self.error = i, b"", 0, "?", None
        self.done = None  # when it reached the current phase's target (time.monotonic())
        self.sock = socket.socket()
        # A small receive buffer: a thousand held downloads must not pin gigabytes in the kernel (but big enough that one loss does not fill it with out-of-order data: a zero window then blocks the retransmission of the hole).
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.setblocking(False)
        self.sock.connect_ex((vip, 80))
        self.out = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, vip)).encode()

    def feed(self, data):
        if self.head is not None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self.head[:end].decode("latin-1"), self.head[end + 4:]
            self.head = None
            if not head.startswith("HTTP/1.1 200"):
                self.error = "status: " + head.splitlines()[0]
            for line in head.split("\r\n"):
                if line.lower().startswith("x-served-by:"):
                    self.server = line.split(":", 1)[1].strip()
        if data:
            obj.seek(self.body)
            if obj.read(len(data)) != data:
                self.error = self.error or "bytes differ from the object at offset %d" % self.body
            self.body += len(data)


def port(d):
    try:
        return d.sock.getsockname()[1]
    except OSError:
        return None


def pump(downloads, target, deadline):
    """Reads until every live download has `target` body bytes (or the deadline)."""
    sel = selectors.DefaultSelector()
    for d in downloads:
        if d.error is None and d.body < target:
            sel.register(d.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if d.out else 0), d)
    while sel.get_map() and time.monotonic() < deadline:
        for key, events in sel.select(timeout=0.5):
            d = key.data
            try:
                if events & selectors.EVENT_WRITE and d.out:
                    d.out = d.out[d.sock.send(d.out):]
                    if not d.out:
                        sel.modify(d.sock, selectors.EVENT_READ, d)
                    continue
                data = d.sock.recv(min(262144, target - d.body + 65536 if d.head is None else 65536))
            except BlockingIOError:
                continue
            except OSError as e:
                d.error = d.error or "%s after %d body bytes" % (e.__class__.__name__, d.body)
                sel.unregister(d.sock)
                continue
            if not data:
                d.error = d.error or "closed by the peer after %d body bytes" % d.body
            else:
                d.feed(data)
            if d.error is not None or d.body >= target:
                if d.body >= target:
                    d.done = time.monotonic()
                sel.unregister(d.sock)
    sel.close()


opened = time.monotonic()
downloads = [Download(i) for i in range(n)]
pump(downloads, hold, time.monotonic() + deadline_s)
# How long the first phase took: nginx gives up on a connection whose send buffer does not drain
# for 60 s (send_timeout), so the first downloads to be held must not wait that long for the last.
held_after = round(time.monotonic() - opened, 3)
by_server = {}
for d in downloads:
    by_server[d.server] = by_server.get(d.server, 0) + 1
with open(work + "/ready.tmp", "w") as f:
    f.write("%d %s\n" % (sum(d.body >= hold for d in downloads), " ".join("%s:%d" % kv for kv in sorted(by_server.items()))))
# The downloads that did not reach HOLD in the first phase (a stall of the normal path), for the caller.
with open(work + "/unheld", "w") as f:
    for d in downloads:
        if d.body < hold:
            f.write("%s port %s: %d bytes%s\n" % (d.server, port(d), d.body, ", " + d.error if d.error else ""))
os.rename(work + "/ready.tmp", work + "/ready")
while not os.path.exists(work + "/go"):
    time.sleep(0.05)
# What each connection already holds in its receive queue: a download whose queue covers the rest
# of its target does not need any server (nor a recovery) to pass.
def queued(d):
    try:
        return struct.unpack("i", fcntl.ioctl(d.sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0
covered = {}
for d in downloads:
    if d.error is None and d.body + queued(d) >= min(size, hold + more):
        covered[d.server] = covered.get(d.server, 0) + 1
started = time.monotonic()
pump(downloads, min(size, hold + more), started + deadline_s)
failed = [d for d in downloads if d.error is not None or d.body < min(size, hold + more)]
# When each download of the second phase had its bytes, in seconds from the go: one slow
# connection sets "seconds", the percentiles show whether the rest were slow too.
finished = sorted(d.done - started for d in downloads if d.done is not None and d.done >= started)
def pct(q):
    return round(finished[min(len(finished) - 1, int(q * len(finished)))], 3) if finished else None
result = {
    "downloads": n, "finished": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99)}, "ok": n - len(failed), "heldAfter": held_after, "seconds": round(time.monotonic() - started, 3),
    "byServer": by_server, "coveredByBuffer": covered,
    "okByServer": {s: sum(1 for d in downloads if d.server == s and d not in failed) for s in by_server},
    "failed": [{"i": d.i, "port": port(d), "server": d.server, "body": d.body, "error": d.error or "too slow"}
               for d in failed[:20]],
}
with open(work + "/result", "w") as f:
    json.dump(result, f)
