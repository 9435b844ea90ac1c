// Preloaded by dev/up into Frappe's socket.io server (`node --require dev/loopback.js socketio.js`):
// the server listens on every interface by default; for a local demo it listens on 127.0.0.1 only.
const net = require("node:net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, ...rest) {
	if (typeof port === "number" || (typeof port === "string" && /^\d+$/.test(port))) {
		return listen.call(this, Number(port), "127.0.0.1", ...rest);
	}
	return listen.apply(this, [port, ...rest]);
};
