"""The seed's selectors echo server (DefaultSelector, callbacks in key.data), made non-blocking
and robust to partial sends, for `Plexus.Bench pythonecho`. Usage: echo_selectors.py PORT"""
import selectors
import signal
import socket
import sys

sel = selectors.DefaultSelector()
pending = {}


def accept(listener, mask):
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(False)
        sel.register(conn, selectors.EVENT_READ, read)


def close(conn):
    sel.unregister(conn)
    pending.pop(conn, None)
    conn.close()


def read(conn, mask):
    try:
        data = conn.recv(65536)
    except (ConnectionResetError, BlockingIOError):
        data = b""
    if not data:
        close(conn)
        return
    try:
        sent = conn.send(data)
    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
        sent = 0
    if sent < len(data):
        pending[conn] = data[sent:]
        sel.modify(conn, selectors.EVENT_WRITE, write)


def write(conn, mask):
    data = pending[conn]
    try:
        sent = conn.send(data)
    except (BrokenPipeError, ConnectionResetError):
        close(conn)
        return
    if sent < len(data):
        pending[conn] = data[sent:]
    else:
        del pending[conn]
        sel.modify(conn, selectors.EVENT_READ, read)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(4096)
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ, accept)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("python selectors echo listening", flush=True)
while True:
    for key, mask in sel.select():
        key.data(key.fileobj, mask)
