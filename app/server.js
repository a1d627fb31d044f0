// Minimal placeholder server so the stack has an image to build; the production-shaped app follows.
const http = require("node:http");
const port = Number(process.env.PORT ?? 8080);
http
	.createServer((req, res) => {
		const ok = req.url === "/" || req.url === "/healthz" || req.url === "/readyz";
		res.writeHead(ok ? 200 : 404, { "Content-Type": "application/json" });
		res.end(JSON.stringify({ app: "app", version: process.env.APP_VERSION ?? "dev", pod: process.env.POD_NAME ?? "" }));
	})
	.listen(port);
