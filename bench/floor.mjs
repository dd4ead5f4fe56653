// The floor: a bare Node `http` pass-through with keep-alive and no parsing at all. Whatever a real
// proxy adds beyond this is its own cost.
import { Agent, createServer, request } from "node:http";

const target = Number(process.env.TARGET_PORT);
const agent = new Agent({ keepAlive: true, maxSockets: 512 });
const server = createServer((req, res) => {
  const up = request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  up.on("error", () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => process.send?.({ port: server.address().port }));
