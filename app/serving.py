"""gunicorn's threaded worker, stopping without dropping a connection the kernel already accepted.

On SIGTERM gunicorn's master closes its copy of the listening socket and tells the
workers to stop; each worker stops polling the socket and finishes its requests. But
the socket lives on until the last worker closes its copy, and the kernel goes on
completing handshakes into its backlog meanwhile: every connection still waiting there
when the last copy closes is reset, after the client (or the proxy) sent its request.
A proxy shows each as a 502, for a POST it must not retry.

This worker, when it stops, first takes every connection already waiting (and answers
them within the graceful timeout, as it does the requests in flight), then closes its
copy of the socket at once. Once every worker has, the address refuses connections,
which a proxy retries on another node safely. `gunicorn.conf.py` selects it.
"""
from gunicorn.workers.gthread import ThreadWorker

# A stopping worker takes at most this many waiting connections (the backlog holds 2048 by default).
MAX_DRAIN = 4096


class DrainingThreadWorker(ThreadWorker):
    def set_accept_enabled(self, enabled):
        stopping = not enabled and not self.alive
        if stopping:
            self.drain_backlog()
        super().set_accept_enabled(enabled)
        if stopping:
            for listener in self.sockets:
                listener.close()

    def drain_backlog(self):
        """Accept what the kernel holds for us already; accept() answers EAGAIN when it is empty."""
        for listener in self.sockets:
            if listener.sock is None:
                continue
            listener.setblocking(False)
            for _ in range(MAX_DRAIN):
                before = self.nr_conns
                self.accept(listener)
                if self.nr_conns == before:
                    break
