"""An aiohttp server for chapter 11's HTTP client tests (run with Debian's /usr/bin/python3).

Prints its port on the first line of stdout, then serves until stdin is closed.
"""
import asyncio
import sys

from aiohttp import web


async def fixed(request):
    n = int(request.match_info["n"])
    return web.Response(body=b"a" * n)  # Content-Length


async def chunked(request):
    n = int(request.match_info["n"])
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    sent = 0
    while sent < n:
        piece = min(1000, n - sent)
        await response.write(b"c" * piece)
        sent += piece
    await response.write_eof()
    return response


async def redirect(request):
    n = int(request.match_info["n"])
    if n > 0:
        raise web.HTTPFound(f"/redirect/{n - 1}")
    return web.Response(text="arrived")


async def loop(request):
    raise web.HTTPFound("/loop")


async def echo(request):
    return web.Response(body=await request.read())


async def main():
    app = web.Application()
    app.add_routes([
        web.get("/bytes/{n}", fixed),
        web.get("/chunked/{n}", chunked),
        web.get("/redirect/{n}", redirect),
        web.get("/loop", loop),
        web.post("/echo", echo),
    ])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


asyncio.run(main())
