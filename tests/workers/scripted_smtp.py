"""A bare SMTP server on loopback whose answers a test scripts: aiosmtpd (the suite's `smtp` fixture)
answers every command properly, and these tests need a server that hangs up or closes mid-exchange."""
import socket
import threading

OK = b"250 ok\r\n"


class ScriptedSMTP:
    """Speaks just enough SMTP for smtplib. Subclasses decide the answer to each command (`answer`) and to
    the end of each message's data (`after_data`); None hangs up without a word, and a 421 closes the
    connection after saying so, as a server that is shutting the channel does."""

    def __init__(self):
        self.received = []
        self.connections = 0
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(5)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def answer(self, command, line, session):
        return OK

    def after_data(self, body, session):
        return OK

    def serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self.talk(conn.makefile("rb"), conn, {"number": self.connections})

    def talk(self, lines, conn, session):
        conn.sendall(b"220 scripted ESMTP\r\n")
        for raw in lines:
            command = raw.strip().upper()
            if command == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            if command == b"DATA":
                conn.sendall(b"354 go on\r\n")
                body = []
                for line in lines:
                    if line == b".\r\n":
                        break
                    body.append(line)
                reply = self.after_data(b"".join(body), session)
            else:
                reply = self.answer(command, raw.strip(), session)
            if reply is None:
                return
            conn.sendall(reply)
            if reply.startswith(b"421") or session.get("hang_up"):
                return

    def close(self):
        self.server.close()
