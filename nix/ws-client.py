"""A small web-terminal client for the NixOS VM test (protocol v1).

ws-client URL run COMMAND EXPECTED
    Open a session, type COMMAND and a newline, and print the terminal's
    output once it contains EXPECTED.
ws-client URL refused CODE
    Open a session without a token; succeed only if the server then closes
    the connection with close code CODE.

Exits 0 on success, 1 otherwise.
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

TIMEOUT = 30
OPEN = json.dumps({"type": "open", "cols": 80, "rows": 24})


async def run(url, command, expected):
    async with connect(url, open_timeout=TIMEOUT) as ws:
        await ws.send(OPEN)
        opened = json.loads(await ws.recv())
        if opened.get("type") != "opened":
            print(f"expected an opened message, got {opened}")
            return False
        await ws.send((command + "\n").encode())
        output = b""
        while expected.encode() not in output:
            frame = await ws.recv()
            if isinstance(frame, bytes):
                output += frame
        print(output.decode(errors="replace"))
        return True


async def refused(url, code):
    try:
        async with connect(url, open_timeout=TIMEOUT) as ws:
            await ws.send(OPEN)
            try:
                message = await ws.recv()
            except ConnectionClosed as closed:
                got = closed.rcvd.code if closed.rcvd else None
                print(f"closed with {got}: {closed.rcvd}")
                return got == code
            print(f"expected close code {code}, got a message: {message!r}")
            return False
    except InvalidStatus as refusal:
        print(f"expected close code {code}, the upgrade got {refusal}")
        return False


def main(argv):
    if len(argv) == 5 and argv[2] == "run":
        scenario = run(argv[1], argv[3], argv[4])
    elif len(argv) == 4 and argv[2] == "refused":
        scenario = refused(argv[1], int(argv[3]))
    else:
        print(__doc__)
        return 2
    try:
        ok = asyncio.run(asyncio.wait_for(scenario, TIMEOUT))
    except (OSError, TimeoutError, ConnectionClosed) as error:
        print(f"failed: {error!r}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
