# The guide's echo server on a ThreadPoolExecutor(128), in CPython.
# Usage: python3 server.py PORTFILE — listens on 127.0.0.1, port 0, writes the
# port chosen to PORTFILE, and serves until killed. As in server.weft: backlog 128
# (the guide's 5 would make 100 simultaneous connects wait for SYN retransmits),
# SO_REUSEADDR, TCP_NODELAY on accepted sockets (Weft sets it by default).
import sys
from socket import (AF_INET, IPPROTO_TCP, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET,
                    TCP_NODELAY, socket)
from concurrent.futures import ThreadPoolExecutor


def echo_client(sock, client_addr):
    while True:
        msg = sock.recv(65536)
        if not msg:
            break
        sock.sendall(msg)
    sock.close()


def echo_server(portfile):
    pool = ThreadPoolExecutor(128)
    sock = socket(AF_INET, SOCK_STREAM)
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    with open(portfile, "w") as f:
        f.write(str(sock.getsockname()[1]))
    while True:
        client_sock, client_addr = sock.accept()
        client_sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
        pool.submit(echo_client, client_sock, client_addr)


echo_server(sys.argv[1])
