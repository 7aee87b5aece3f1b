"""The module cache in `pvm serve`: `module_cache` in gateway.toml (relative to the file) keeps the
module of a protocol compiled at start, and a SIGHUP after the .pvm changed compiles it again and
rewrites the entry; a folder others can write to is not used, and the log says so once, not
again on a reload."""

import json
import os
import shutil
import signal

from gateway_e2e import ROOT, Gateway, free_port, run_main, wait_until


def cache_warnings(gateway):
    return [json.loads(line) for line in gateway.log().splitlines() if '"event":"module cache not used"' in line]


def reload(gateway):
    reloads = gateway.log().count("protocols reloaded")
    gateway.signal(signal.SIGHUP)
    wait_until(lambda: gateway.log().count("protocols reloaded") > reloads, 10, "the reload")


def body(args, work):
    protocol = work.file("teltonika.pvm")
    shutil.copy(os.path.join(ROOT, "stdlib-protocols", "teltonika.pvm"), protocol)
    config = work.file("gateway.toml")
    with open(config, "w") as f:
        f.write(f'module_cache = "modules"\nlisten = ["teltonika.pvm@tcp://127.0.0.1:{free_port()}"]\n')
    cache = work.file("modules")
    gateway = Gateway(args.pvm, work, ["--config", config], workers=1)
    try:
        gateway.start()
        entries = os.listdir(cache)
        assert len(entries) == 1 and entries[0].endswith(".pvmmod"), entries
        assert os.stat(cache).st_mode & 0o777 == 0o700, oct(os.stat(cache).st_mode)
        entry = os.path.join(cache, entries[0])
        inode = os.stat(entry).st_ino
        reload(gateway)
        assert os.stat(entry).st_ino == inode, "an unchanged protocol was compiled again"
        with open(protocol, "a") as f:
            f.write("// changed\n")
        reload(gateway)
        assert os.listdir(cache) == entries and os.stat(entry).st_ino != inode, "the changed protocol was not compiled"
        assert cache_warnings(gateway) == [], gateway.log()
    finally:
        gateway.stop()

    open_dir = work.file("open")
    os.mkdir(open_dir)
    os.chmod(open_dir, 0o777)
    gateway = Gateway(args.pvm, work, ["--listen", f"{protocol}@tcp://127.0.0.1:{free_port()}",
                                       "--module-cache", open_dir], name="open", workers=1)
    try:
        gateway.start()
        reload(gateway)
        warnings = cache_warnings(gateway)
        assert len(warnings) == 1 and warnings[0]["level"] == "warn" and \
            warnings[0]["reason"] == f"{open_dir} is not this user's or others can write to it", gateway.log()
        assert os.listdir(open_dir) == []
    finally:
        gateway.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
