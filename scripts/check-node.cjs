// Runs before `npm start` (npm's prestart hook), in whatever Node is on PATH: plain
// CommonJS, no build, so that it can speak before oidc-provider's own runtime warning.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `keyforge needs Node.js >= 22.12 (this is ${process.version}): run \`. scripts/node24.sh\` to put Node 24 on PATH, then \`npm start\` again.\n`,
  );
}
