"""Several serving processes on one port, each with a listening socket of its own.

``filature serve --workers N`` used to hand the processes to uvicorn, which gives them one
shared listening socket. Whichever process wakes first accepts the connections waiting on
it, so when a browser's or the load benchmark's keep-alive connections open together one
process often takes nearly all of them (20 connections shared [20], [1, 19], [2, 18] ...),
and as a connection stays with the process that accepted it, two processes were in about
half the runs no faster than one. Here each process binds its own socket to the same port
with ``SO_REUSEPORT``: the Linux kernel then hashes every new connection to one of the
listening sockets, and the processes get their share ([7, 13], [10, 10] ...).

A small supervisor replaces uvicorn's: it starts the processes afresh ("spawn": the parent
may hold database connections that must not be copied into a child), stops them all on
Ctrl+C or SIGTERM, and when one stops on its own it stops the others and says which one
and how, rather than restarting it behind the investigators' backs.

``SO_REUSEPORT`` would also let a second ``filature serve`` join the port silently and
take half the connections, possibly over another store: ``check_port_free`` refuses a
port already in use before anything starts.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from filature.errors import ConfigError, FilatureError

APP = "filature.web.app:app_from_environment"
BACKLOG = 2048  # uvicorn's default: connections waiting to be accepted, per process
STOP_SECONDS = 30.0  # a process's time to finish the pages it is serving once told to stop


def balanced_sockets_available() -> bool:
    """Whether the kernel shares connections out among sockets bound to the same port.

    Linux does (``SO_REUSEPORT``, since 3.9); the BSDs and macOS accept the option but hand
    every connection to one socket, and Windows lacks it.
    """
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    """IPv6 for an address such as ``::``, IPv4 otherwise (as uvicorn decides)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Refuse a port on which something already listens, another ``filature serve`` first.

    A socket without ``SO_REUSEPORT`` cannot bind next to a listening one, whatever options
    that one has. ``SO_REUSEADDR`` is set as every server sets it, so that the connections
    of a server just stopped, which linger a minute in TIME_WAIT, do not count as a user.
    """
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            raise ConfigError(f"port {port} is already in use: another "
                              "`filature serve`? choose another with --port") from e


def listening_socket(host: str, port: int) -> socket.socket:
    """One process's socket on the shared port; it listens at once, so a connection the
    kernel hands it before its app is ready waits in its backlog rather than being refused."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _end_with_the_supervisor(supervisor: int) -> None:
    """Ask Linux to send this process SIGTERM when the supervisor dies, even killed outright
    (``kill -9``, the out-of-memory killer): a process left behind would keep the port and
    the store's read-only lock, and no new ``filature serve`` or load could start."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0) != 0:
        return  # refused (a sandbox): stopping with the supervisor is then up to the user
    if os.getppid() != supervisor:  # it died before the request could take effect
        os.kill(os.getpid(), signal.SIGTERM)


def serve_one(host: str, port: int, supervisor: int) -> None:
    """A serving process: uvicorn on its own socket, the app built from the environment.

    Ctrl+C reaches every process of the server from the terminal; only the supervisor acts
    on it (it stops each process with SIGTERM), so that a process ending first is never
    taken for one that failed. The process ends with the supervisor however it ends.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_the_supervisor(supervisor)
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if sig != signal.SIGINT:
                super().handle_exit(sig, frame)

    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, backlog=BACKLOG,
                            log_level="warning")
    server = Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_processes(workers: int, host: str, port: int) -> None:
    """Serve with ``workers`` processes until Ctrl+C or SIGTERM, then stop them and return.

    The environment the processes read their settings from must be set before: each
    inherits it when it starts. When a process stops on its own, the others are stopped
    and the error names it.
    """
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=serve_one, args=(host, port, os.getpid()),
                                 name=f"filature serve process {n} of {workers}")
                 for n in range(1, workers + 1)]
    with _sigterm_as_interrupt():
        try:
            for process in processes:
                process.start()
            ended = wait([process.sentinel for process in processes])
        except KeyboardInterrupt:
            return
        finally:
            _stop(processes)
    stopped = next(p for p in processes if p.sentinel in ended)
    raise FilatureError(f"{stopped.name} (pid {stopped.pid}) stopped "
                        f"({_how(stopped.exitcode)}), so the others were stopped too; its "
                        "messages, if any, are above")


def _stop(processes: Sequence[BaseProcess]) -> None:
    """Ask every process still running to stop (SIGTERM: uvicorn finishes the pages it is
    serving), then kill any one still there after ``STOP_SECONDS``."""
    running = [p for p in processes if p.pid is not None and p.exitcode is None]
    for process in running:
        process.terminate()
    for process in running:
        process.join(STOP_SECONDS)
        if process.exitcode is None:
            process.kill()
            process.join()


def _how(exitcode: int | None) -> str:
    """An exit code in words: multiprocessing gives ``-N`` for a process killed by signal N."""
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return f"killed by signal {signal.Signals(-exitcode).name}"
    except ValueError:  # a signal without a name (real-time ones)
        return f"killed by signal {-exitcode}"


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a service manager) stops the server as Ctrl+C does; the previous
    handler is put back afterwards. Signal handlers belong to the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
