#!/usr/bin/env python3
"""Build STAND-IN WSO2 API Manager 4.5+ component packs (test fixture).

    python3 tests/standin/build_packs.py [--version 4.5.0] [--out DIR]
                                         [--force]

Writes wso2am-acp-<v>.zip, wso2am-universal-gw-<v>.zip and wso2am-tm-<v>.zip
into DIR (default: tests/.packs in this repository).  Each zip unpacks to a
folder of the same name with the real packs' layout; the programs inside are
stand-ins from tests/standin/pack_src/ (see README-STANDIN.txt there).

It also writes two stand-in JDBC driver jars for the tests (placeholders
that hold no working driver, only the driver class entry and a manifest):
DIR/mysql-connector-j-standin.jar (com.mysql.cj.jdbc.Driver, "MySQL
Connector/J": accepted by the stand-in server) and
DIR/mariadb-java-client-standin.jar (org.mariadb.jdbc.Driver, "MariaDB
Connector/J": refused, as API-M refuses it).  ``driver_jars(DIR)`` returns
their paths.

The build is skipped when the zips and jars exist and
DIR/.standin-<v>.stamp records the same version and hash of the stand-in
sources.  Needs openssl and keytool (from $JAVA_HOME/bin, PATH, or the
OpenJDK 17 default path).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "pack_src"
REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "tests" / ".packs"
DEFAULT_VERSION = "4.5.0"
STORE_PASSWORD = "wso2carbon"
ALIAS = "wso2carbon"
# Aliases of client-truststore.jks, as in the real packs (which hold ~100
# public CAs besides; one stand-in "public" root CA stands for them).
TRUST_ALIASES = ("wso2carbon", "gateway_certificate_alias")
PUBLIC_CA_ALIAS = "standin-public-root-ca"
FALLBACK_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
ZIP_DATE = (2025, 1, 1, 0, 0, 0)

WEBAPPS_DIR = "repository/deployment/server/webapps"

# pack id -> description of its content
PACKS = {
    "acp": {
        "name": "wso2am-acp",
        "title": "API Control Plane",
        "scripts": {"api-cp.sh": "control_plane",
                    "key-manager.sh": "key_manager"},
        "profile_setup": True,
        "conf": "control_plane.toml",
        "km_template": True,
        "war_files": [
            "oauth2.war", "client-registration#v0.17.war",
            "keymanager-operations.war", "internal#data#v1.war",
            "api#identity#oauth2#dcr#v1.1.war",
            "api#am#publisher.war", "api#am#devportal.war",
            "api#am#admin.war", "api#am#gateway#v2.war",
            "api#am#service-catalog#v1.war",
        ],
        "webapp_dirs": ["publisher", "devportal", "admin"],
        "empty_dirs": [],
    },
    "gw": {
        "name": "wso2am-universal-gw",
        "title": "Universal Gateway",
        "scripts": {"gateway.sh": "gateway"},
        "profile_setup": False,
        "conf": "gateway.toml",
        "km_template": False,
        "war_files": ["api#am#gateway#v2.war", "am#sample#pizzashack#v1.war"],
        "webapp_dirs": [],
        "empty_dirs": [
            "repository/deployment/server/synapse-configs/default/api",
            "repository/deployment/server/synapse-configs/default/sequences",
        ],
    },
    "tm": {
        "name": "wso2am-tm",
        "title": "Traffic Manager",
        "scripts": {"traffic-manager.sh": "traffic_manager"},
        "profile_setup": False,
        "conf": "traffic_manager.toml",
        "km_template": False,
        "war_files": ["internal#data#v1.war"],
        "webapp_dirs": [],
        "empty_dirs": ["repository/deployment/server/executionplans"],
    },
}

COMMON_EMPTY_DIRS = [
    # The real packs ship repository/conf/security (cipher-tool.properties, the secure vault's
    # cipher-text.properties and the other security configs); secret-conf.properties goes here.
    "repository/conf/security",
    "repository/components/lib",
    "repository/components/dropins",
    "repository/logs",
    "repository/database",
    "repository/tenants",
]

DB_SCRIPTS = ["dbscripts/mysql.sql", "dbscripts/postgresql.sql",
              "dbscripts/apimgt/mysql.sql", "dbscripts/apimgt/postgresql.sql"]


# Stand-in JDBC driver jars (test fixtures): id -> content.
DRIVER_JARS = {
    "mysql": {
        "file": "mysql-connector-j-standin.jar",
        "driver_class": "com.mysql.cj.jdbc.Driver",
        "title": "MySQL Connector/J",
    },
    "mariadb": {
        "file": "mariadb-java-client-standin.jar",
        "driver_class": "org.mariadb.jdbc.Driver",
        "title": "MariaDB Connector/J",
    },
}


def pack_names(version):
    return [f"{spec['name']}-{version}.zip" for spec in PACKS.values()]


def driver_jars(out=DEFAULT_OUT):
    """{"mysql": Path, "mariadb": Path} of the stand-in driver jars in out.

    ``build()`` writes them; this only names them.
    """
    return {jar_id: Path(out) / spec["file"]
            for jar_id, spec in DRIVER_JARS.items()}


def driver_jar_bytes(jar_id):
    """Deterministic bytes of one stand-in driver jar (a zip)."""
    spec = DRIVER_JARS[jar_id]
    manifest = (
        "Manifest-Version: 1.0\r\n"
        f"Implementation-Title: {spec['title']}\r\n"
        "Implementation-Version: 0.0.0-standin\r\n"
        "Implementation-Vendor: wso2am.distributed test fixture\r\n"
        "Standin-Fixture: stand-in test fixture, not a working JDBC driver\r\n"
        "\r\n")
    readme = (
        f"STAND-IN {spec['title']} jar: a TEST FIXTURE of the "
        "wso2am.distributed collection, built by tests/standin/"
        "build_packs.py.\n"
        f"It holds the entry {spec['driver_class']} and a manifest whose "
        f"Implementation-Title is \"{spec['title']}\", so that the "
        "stand-in\nWSO2 API Manager server can find the driver class and "
        "tell the driver name.\nThe class file is a placeholder: there "
        "is no working JDBC driver in it.\n")
    entries = [
        ("META-INF/MANIFEST.MF", manifest),
        ("META-INF/services/java.sql.Driver", spec["driver_class"] + "\n"),
        ("README-STANDIN.txt", readme),
        (spec["driver_class"].replace(".", "/") + ".class",
         f"STAND-IN PLACEHOLDER for {spec['driver_class']}, not a Java "
         "class (test fixture).\n"),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as jar:
        for name, text in entries:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.create_system = 3
            info.external_attr = (0o100000 | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            jar.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def write_driver_jars(out, log=print):
    """Write the stand-in driver jars into out (unchanged ones untouched)."""
    paths = driver_jars(out)
    for jar_id, path in paths.items():
        data = driver_jar_bytes(jar_id)
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        log(f"built {path}")
    return paths


def source_hash(version):
    """Hash of the version, this builder and every stand-in source file."""
    digest = hashlib.sha256()
    digest.update(f"version={version}\n".encode())
    files = [Path(__file__).resolve()]
    files += sorted(p for p in SRC.rglob("*") if p.is_file()
                    and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(HERE)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): "
                           f"{proc.stderr.strip() or proc.stdout.strip()}")


def _keytool():
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "keytool")
    found = shutil.which("keytool")
    if found:
        candidates.append(Path(found))
    candidates.append(Path(FALLBACK_JAVA_HOME) / "bin" / "keytool")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise RuntimeError("keytool not found (set JAVA_HOME or PATH)")


def make_security(workdir):
    """Create the two JKS stores; return {name: bytes}.

    wso2carbon.jks: one RSA key, alias wso2carbon (password wso2carbon),
    self-signed for localhost/127.0.0.1; the stand-in server serves it on
    its TLS ports by default.  client-truststore.jks (JKS, wso2carbon):
    that certificate as wso2carbon and gateway_certificate_alias, and a
    stand-in public root CA (standin-public-root-ca) whose key is thrown
    away, as no deployment has a public CA's key.
    """
    openssl = shutil.which("openssl")
    if not openssl:
        raise RuntimeError("openssl not found on PATH")
    keytool = _keytool()
    pw = STORE_PASSWORD
    _run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
          "-keyout", "key.pem", "-out", "cert.pem", "-days", "3650",
          "-subj", "/CN=localhost/O=WSO2 APIM stand-in test fixture",
          "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], workdir)
    _run([openssl, "pkcs12", "-export", "-in", "cert.pem",
          "-inkey", "key.pem", "-name", ALIAS, "-out", "tls.p12",
          "-passout", f"pass:{pw}"], workdir)
    _run([keytool, "-importkeystore", "-noprompt",
          "-srckeystore", "tls.p12", "-srcstoretype", "PKCS12",
          "-srcstorepass", pw, "-srcalias", ALIAS,
          "-destkeystore", "wso2carbon.jks", "-deststoretype", "JKS",
          "-deststorepass", pw, "-destkeypass", pw, "-destalias", ALIAS],
         workdir)
    _run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
          "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "7300",
          "-subj", "/CN=Stand-in Public Root CA/O=WSO2 APIM stand-in test "
          "fixture/OU=stands for the public CAs of the real trust store",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], workdir)
    for alias, pem_file in ([(a, "cert.pem") for a in TRUST_ALIASES]
                            + [(PUBLIC_CA_ALIAS, "ca.pem")]):
        _run([keytool, "-importcert", "-noprompt", "-alias", alias,
              "-file", pem_file, "-keystore", "client-truststore.jks",
              "-storetype", "JKS", "-storepass", pw], workdir)
    work = Path(workdir)
    return {
        "wso2carbon.jks": (work / "wso2carbon.jks").read_bytes(),
        "client-truststore.jks": (work / "client-truststore.jks").read_bytes(),
    }


def placeholder_war(name):
    """A tiny valid war (zip) saying it is a placeholder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as war:
        info = zipfile.ZipInfo("STANDIN-PLACEHOLDER.txt", ZIP_DATE)
        war.writestr(info, f"Stand-in placeholder for webapp {name} "
                           "(test fixture, not WSO2).\n")
    return buf.getvalue()


class PackWriter:
    """Collects entries of one pack and writes the zip."""

    def __init__(self, top):
        self.top = top
        self.files = {}  # relpath -> (bytes, mode)
        self.dirs = set()

    def add_dir(self, rel):
        rel = rel.strip("/")
        while rel:
            self.dirs.add(rel)
            rel = rel.rpartition("/")[0]

    def add_file(self, rel, data, mode=0o644):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.files[rel] = (data, mode)
        self.add_dir(rel.rpartition("/")[0])

    def write(self, path):
        tmp = path.with_name(path.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            top = zipfile.ZipInfo(self.top + "/", ZIP_DATE)
            self._dir_attrs(top)
            zf.writestr(top, b"")
            for rel in sorted(self.dirs):
                info = zipfile.ZipInfo(f"{self.top}/{rel}/", ZIP_DATE)
                self._dir_attrs(info)
                zf.writestr(info, b"")
            for rel in sorted(self.files):
                data, mode = self.files[rel]
                info = zipfile.ZipInfo(f"{self.top}/{rel}", ZIP_DATE)
                info.create_system = 3  # unix: external_attr holds st_mode
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
        os.replace(tmp, path)

    @staticmethod
    def _dir_attrs(info):
        info.create_system = 3
        info.external_attr = ((0o040000 | 0o755) << 16) | 0x10


def assemble(pack_id, version, security):
    spec = PACKS[pack_id]
    top = f"{spec['name']}-{version}"
    pack = PackWriter(top)
    text = (SRC / "README-STANDIN.txt").read_text()
    pack.add_file("README-STANDIN.txt",
                  text.replace("@VERSION@", version)
                  .replace("@PACK@", f"{top}.zip, {spec['title']}"))
    pack.add_file("bin/version.txt", f"WSO2 API Manager-{version}\n")
    template = (SRC / "bin" / "carbon-start.sh.in").read_text()
    for script, kind in spec["scripts"].items():
        body = template.replace("@KIND@", kind).replace("@SCRIPT@", script)
        pack.add_file(f"bin/{script}", body, 0o755)
    # WSO2 Update 2.0 (stand-in): the tool, the product's identity and its
    # update level.  The real packs ship updates/product.txt as
    # <product>-<version> (wso2/product-apim
    # */modules/distribution/resources/updates/product.txt); config.json's
    # "update-level" is -1 until the tool first updates the pack
    # (https://updates.docs.wso2.com/en/latest/updates/update-commands/).
    pack.add_file("bin/wso2update_linux",
                  (SRC / "bin" / "wso2update_linux").read_bytes(), 0o755)
    pack.add_file("updates/product.txt", f"{top}\n")
    pack.add_file("updates/config.json",
                  json.dumps({"update-level": -1}, indent=2) + "\n")
    pack.add_file("lib/standin/UPDATE-LEVEL",
                  f"# {top}: one line per update level installed by "
                  "bin/wso2update_linux (stand-in)\n")
    if spec["profile_setup"]:
        pack.add_file("bin/profileSetup.sh",
                      (SRC / "bin" / "profileSetup.sh").read_bytes(), 0o755)
    for module in sorted((SRC / "lib" / "standin").glob("*.py")):
        pack.add_file(f"lib/standin/{module.name}", module.read_bytes())
    pack.add_file("repository/conf/deployment.toml",
                  (SRC / "conf" / spec["conf"]).read_bytes())
    pack.add_file("repository/resources/conf/infer.json",
                  (SRC / "conf" / "infer.json").read_bytes())
    if spec["km_template"]:
        pack.add_file(
            "repository/resources/conf/deployment-templates/key-manager.toml",
            (SRC / "conf" / "key-manager.toml").read_bytes())
    for name, data in security.items():
        pack.add_file(f"repository/resources/security/{name}", data)
    for rel in DB_SCRIPTS:
        pack.add_file(rel, (SRC / rel).read_bytes())
    for war in spec["war_files"]:
        pack.add_file(f"{WEBAPPS_DIR}/{war}", placeholder_war(war))
    for webapp in spec["webapp_dirs"]:
        pack.add_file(f"{WEBAPPS_DIR}/{webapp}/index.html",
                      f"<html><body>Stand-in placeholder for the {webapp} "
                      "web app (test fixture, not WSO2).</body></html>\n")
    for rel in COMMON_EMPTY_DIRS + spec["empty_dirs"]:
        pack.add_dir(rel)
    pack.add_dir(WEBAPPS_DIR)
    return pack


def build(version=DEFAULT_VERSION, out=DEFAULT_OUT, force=False, log=print):
    """Build the three packs into ``out`` unless up to date; return paths.

    Returns the three zip paths; the stand-in driver jars written next to
    them are named by ``driver_jars(out)``.
    """
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"version must look like 4.5.0, not {version!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    zips = [out / name for name in pack_names(version)]
    stamp_path = out / f".standin-{version}.stamp"
    wanted = {"version": version, "hash": source_hash(version)}

    with open(out / ".standin-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = json.loads(stamp_path.read_text())
        except (OSError, ValueError):
            current = None
        jars = list(driver_jars(out).values())
        if (not force and current == wanted
                and all(p.is_file() for p in zips + jars)):
            log(f"stand-in packs {version} are up to date in {out}")
            return zips
        stamp_path.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(prefix="standin-sec-") as workdir:
            security = make_security(workdir)
        for pack_id, path in zip(PACKS, zips):
            assemble(pack_id, version, security).write(path)
            log(f"built {path}")
        write_driver_jars(out, log)
        stamp_path.write_text(json.dumps(wanted) + "\n")
    return zips


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Build stand-in WSO2 API-M component packs (test "
                    "fixture, not WSO2).")
    parser.add_argument("--version", default=DEFAULT_VERSION,
                        help="API-M version, e.g. 4.5.0 (default %(default)s)")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="output directory (default %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even when up to date")
    args = parser.parse_args(argv)
    try:
        build(args.version, args.out, args.force)
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"build_packs: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
