"""Throw-away PostgreSQL and MariaDB servers for the rotation tests.

Each server lives in its own temporary directory, listens on a free loopback port and is removed
when stopped for good. Both must be installed (Debian: postgresql, mariadb-server); a missing
binary is a failure, never a skip. PostgreSQL refuses to run as root, so when the tests run as
root it runs as the `postgres` system user that Debian's package creates.

Logins are checked with the real command-line clients (psql, mariadb), so the test process needs
no database driver.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

SUPERUSER_PASSWORD = "Sup3r-Secret-Master"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise AssertionError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found[-1]


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Postgres:
    """A PostgreSQL cluster; the superuser is `postgres` with SUPERUSER_PASSWORD."""

    engine = "postgres"
    superuser = "postgres"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="strongroom-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(SUPERUSER_PASSWORD)
        if self.as_user:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run([_pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"])
        os.remove(pwfile)
        self.start()

    def _run(self, argv):
        done = subprocess.run(self.as_user + argv, capture_output=True, text=True, cwd=self.dir)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}")

    def start(self):
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "start",
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"])

    def stop(self):
        self._run([_pg_bin("pg_ctl"), "-D", self.data, "-w", "-m", "fast", "stop"])

    def destroy(self):
        try:
            self.stop()
        except AssertionError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def login(self, user, password, sql="SELECT 1", db="postgres"):
        """Runs sql as user/password; returns (ok, output)."""
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                              capture_output=True, text=True, env=env)
        return done.returncode == 0, (done.stdout + done.stderr).strip()

    def admin(self, sql, db="postgres"):
        ok, out = self.login(self.superuser, SUPERUSER_PASSWORD, sql, db)
        if not ok:
            raise AssertionError(f"{sql}: {out}")
        return out

    def create_user(self, user, password):
        self.admin(f"CREATE ROLE \"{user}\" LOGIN PASSWORD '{password}'")
        self.admin(f"GRANT ALL ON SCHEMA public TO \"{user}\"")

    def master_secret(self):
        return {"engine": self.engine, "host": "127.0.0.1", "port": self.port, "username": self.superuser,
                "password": SUPERUSER_PASSWORD, "dbname": "postgres"}


class MariaDB:
    """A MariaDB server; the superuser is `root`@`%` with SUPERUSER_PASSWORD."""

    engine = "mariadb"
    superuser = "root"

    def __init__(self):
        for binary in ("mariadbd", "mariadb-install-db", "mariadb"):
            if shutil.which(binary) is None and not os.path.exists(f"/usr/sbin/{binary}"):
                raise AssertionError(f"MariaDB's {binary} is not installed (apt-get install mariadb-server)")
        self.dir = tempfile.mkdtemp(prefix="strongroom-mariadb-")
        self.data = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "sock")
        self.port = free_port()
        self.process = None
        # A private tmpdir: bootstraps running at once (workers, other runs on the machine) must not share /tmp's
        # temporary tables, which made mariadb-install-db abort with "Unknown table 'mysql.tmp_...'".
        self.tmp = os.path.join(self.dir, "tmp")
        os.mkdir(self.tmp)
        done = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", "--user=root",
                               "--auth-root-authentication-method=normal", "--skip-test-db", f"--tmpdir={self.tmp}"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"mariadb-install-db failed: {done.stdout}{done.stderr}")
        self.start()
        # mariadb-install-db may create password-less root@127.0.0.1 / root@::1 and anonymous users, which
        # would shadow root@'%' for TCP logins.
        self._socket_sql("DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', ''@'localhost', ''@'%'; "
                         f"CREATE USER 'root'@'%' IDENTIFIED BY '{SUPERUSER_PASSWORD}'; "
                         "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION; "
                         "CREATE DATABASE app; FLUSH PRIVILEGES;")

    def _socket_sql(self, sql):
        done = subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-e", sql], capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"{sql}: {done.stderr}")

    def start(self):
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.log = open(os.path.join(self.dir, "log"), "a")
        self.process = subprocess.Popen([mariadbd, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
                                         "--bind-address=127.0.0.1", f"--socket={self.socket}", "--user=root",
                                         f"--pid-file={os.path.join(self.dir, 'pid')}", "--skip-name-resolve", f"--tmpdir={self.tmp}"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        _wait(lambda: subprocess.run(["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket}", "-e", "SELECT 1"],
                                     capture_output=True).returncode == 0 or self.process.poll() is not None, "MariaDB to start")
        if self.process.poll() is not None:
            raise AssertionError(f"mariadbd exited: {open(os.path.join(self.dir, 'log')).read()[-2000:]}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None
        self.log.close()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def login(self, user, password, sql="SELECT 1", db="app"):
        env = dict(os.environ, MYSQL_PWD=password)
        done = subprocess.run(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", user,
                               "--connect-timeout=5", "-N", "-B", db, "-e", sql], capture_output=True, text=True, env=env)
        return done.returncode == 0, (done.stdout + done.stderr).strip()

    def admin(self, sql, db="app"):
        ok, out = self.login(self.superuser, SUPERUSER_PASSWORD, sql, db)
        if not ok:
            raise AssertionError(f"{sql}: {out}")
        return out

    def create_user(self, user, password):
        self.admin(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; GRANT ALL PRIVILEGES ON app.* TO '{user}'@'%'")

    def master_secret(self):
        return {"engine": self.engine, "host": "127.0.0.1", "port": self.port, "username": self.superuser,
                "password": SUPERUSER_PASSWORD, "dbname": "app"}


class RespError(Exception):
    """An error answer from Redis (its text, e.g. 'WRONGPASS …' or 'NOPERM …')."""


def _resp_encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _resp_read(f):
    line = f.readline()
    if not line:
        raise ConnectionError("Redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RespError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise ConnectionError(f"unexpected Redis answer {line!r}")


class Redis:
    """A redis-server (Debian's /usr/bin/redis-server); the admin is the `default` user with SUPERUSER_PASSWORD.

    ACL users live in an ACL file in the server's directory, so they survive a restart once saved (ACL SAVE).
    Commands are sent over a plain socket in RESP, so the tests need no Redis client library.
    """

    engine = "redis"
    superuser = "default"
    binary = "/usr/bin/redis-server"

    def __init__(self, tls=False):
        if not os.path.exists(self.binary):
            raise AssertionError("Redis's redis-server is not installed (apt-get install redis-server)")
        self.dir = tempfile.mkdtemp(prefix="strongroom-redis-")
        self.port = free_port()
        self.aclfile = os.path.join(self.dir, "users.acl")
        open(self.aclfile, "w").close()
        self.process = None
        self.tls = tls
        if tls:
            self._make_certificates()
        self.start()
        self.command("ACL", "SETUSER", "default", "on", "resetpass", ">" + SUPERUSER_PASSWORD, auth=None)
        self.admin("ACL", "SAVE")

    def _make_certificates(self):
        """A test CA (ca.pem, for clients to trust) and a server certificate for the name localhost only."""
        def openssl(*args):
            done = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=self.dir)
            if done.returncode != 0:
                raise AssertionError(f"openssl {' '.join(args)} failed: {done.stderr}")

        with open(os.path.join(self.dir, "server.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=Strongroom test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                "-days", "2", "-extfile", "server.ext")
        self.ca_file = os.path.join(self.dir, "ca.pem")

    def _socket(self, timeout):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        if not self.tls:
            return raw
        import ssl

        context = ssl.create_default_context(cafile=self.ca_file)
        return context.wrap_socket(raw, server_hostname="localhost")

    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "a")
        listen = ["--port", str(self.port)]
        if self.tls:
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", os.path.join(self.dir, "server.pem"),
                      "--tls-key-file", os.path.join(self.dir, "server.key"), "--tls-ca-cert-file", self.ca_file, "--tls-auth-clients", "no"]
        self.process = subprocess.Popen([self.binary, *listen, "--bind", "127.0.0.1 -::1", "--dir", self.dir,
                                         "--aclfile", self.aclfile, "--save", "", "--appendonly", "no", "--daemonize", "no",
                                         "--protected-mode", "no"],
                                        stdout=self.log, stderr=subprocess.STDOUT)

        def up():
            if self.process.poll() is not None:
                return True
            try:
                with self._socket(timeout=1) as s:
                    s.sendall(_resp_encode(["PING"]))
                    return s.recv(64) != b""
            except OSError:
                return False

        _wait(up, "Redis to start")
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited: {open(os.path.join(self.dir, 'log')).read()[-2000:]}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None
        self.log.close()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, *args, auth=("default", SUPERUSER_PASSWORD)):
        """Runs one command (after AUTH user password when auth is given); returns its answer, raises RespError."""
        with self._socket(timeout=5) as s:
            f = s.makefile("rb")
            if auth is not None:
                s.sendall(_resp_encode(["AUTH", *auth]))
                answer = _resp_read(f)
                if isinstance(answer, RespError):
                    raise answer
            s.sendall(_resp_encode(args))
            answer = _resp_read(f)
            if isinstance(answer, RespError):
                raise answer
            return answer

    def admin(self, *args):
        return self.command(*args)

    def login(self, user, password, *command):
        """AUTH user password (then the command, if any); returns (ok, answer or error text)."""
        try:
            return True, self.command(*(command or ("ACL", "WHOAMI")), auth=(user, password))
        except RespError as e:
            if command or not str(e).startswith("NOPERM"):
                return False, str(e)
            return True, str(e)  # logged in; the user may just not run ACL WHOAMI

    def create_user(self, user, password, rules=("~*", "&*", "+@all")):
        self.admin("ACL", "SETUSER", user, "on", ">" + password, *rules)
        self.admin("ACL", "SAVE")

    def master_secret(self):
        return {"engine": self.engine, "host": "127.0.0.1", "port": self.port, "username": self.superuser,
                "password": SUPERUSER_PASSWORD}
