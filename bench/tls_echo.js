// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// bench/tls_echo.js CERT KEY N SIZE: N round trips of SIZE bytes over one TLS
// connection on loopback, client and server in this process (node:tls, so
// that node runs it on its OpenSSL and bun on its BoringSSL). Each round trip
// is one write and one read on each side. Prints the ns per round trip, of
// wall time and of the process's CPU time (user + system: the uprobe traps
// are charged to it, and it moves less than wall time on a busy machine).
const tls = require("node:tls");
const fs = require("node:fs");

const [cert, key, n, size] = process.argv.slice(2);
const rounds = Number(n), payload = Buffer.alloc(Number(size), 0x61);

const server = tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
	(s) => s.on("data", (d) => s.write(d)));
server.listen(0, "127.0.0.1", () => {
	const c = tls.connect({ port: server.address().port, host: "127.0.0.1",
				rejectUnauthorized: false }, () => {
		let left = rounds, got = 0, start = 0n, cpu = null;
		const warm = 100;
		let warmLeft = warm;
		c.on("data", (d) => {
			got += d.length;
			if (got < payload.length)
				return;
			got = 0;
			if (warmLeft > 0 && --warmLeft === 0) {
				start = process.hrtime.bigint();
				cpu = process.cpuUsage();
			} else if (warmLeft === 0 && --left === 0) {
				const ns = Number(process.hrtime.bigint() - start) / rounds;
				const used = process.cpuUsage(cpu);
				const cpuNs = (used.user + used.system) * 1000 / rounds;
				process.stdout.write(`${ns.toFixed(0)} ${cpuNs.toFixed(0)}\n`);
				c.destroy();
				server.close();
				return;
			}
			c.write(payload);
		});
		c.write(payload);
	});
});
