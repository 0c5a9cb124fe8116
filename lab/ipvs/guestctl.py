#!/usr/bin/env python3
"""Runs a shell command line in the IPVS guest through its control channel (see guest-init.sh).

usage: guestctl.py SOCKET [--timeout S] [--stdin] COMMAND...
  COMMAND words are joined with spaces into one shell command line (as ssh does).
  --stdin sends this process's standard input to the command.
Prints the command's stdout and stderr, exits with its status (124: no answer in time, 125: no channel).
"""
import base64, os, socket, sys, time


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode() if data else "-"


def unb64(field: str) -> bytes:
    return b"" if field == "-" else base64.b64decode(field)


def run(sock_path, command, stdin=b"", timeout=10.0):
    deadline = time.monotonic() + timeout
    rid = "py%d-%d" % (os.getpid(), int(time.time() * 1000))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        line = "TRODS1 %s %d %s %s\n" % (rid, max(1, int(timeout)), b64(command.encode()), b64(stdin))
        s.sendall(line.encode())
        buf = b""
        while True:
            # Partial reads: accumulate up to a newline; skip answers to other (older) requests.
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                fields = raw.decode(errors="replace").split(" ")
                if len(fields) == 5 and fields[0] == "TRODS1" and fields[1] == rid:
                    return int(fields[2]), unb64(fields[3]), unb64(fields[4])
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer within %.1fs" % timeout)
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("channel closed")
            buf += chunk


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    path, args, timeout, stdin = argv[1], argv[2:], 10.0, b""
    while args and args[0].startswith("--"):
        if args[0] == "--timeout":
            timeout, args = float(args[1]), args[2:]
        elif args[0] == "--stdin":
            stdin, args = sys.stdin.buffer.read(), args[1:]
        else:
            break
    try:
        rc, out, err = run(path, " ".join(args), stdin, timeout)
    except (TimeoutError, socket.timeout) as e:
        print("guestctl: %s" % e, file=sys.stderr)
        return 124
    except OSError as e:
        print("guestctl: %s: %s" % (path, e), file=sys.stderr)
        return 125
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
