/**
 * The one-process-per-call lookup of bench/daemon.ts: what a shell script
 * that wants one password pays with the daemon running. argv: socket service
 * account; prints the password and exits. It imports the client's modules
 * themselves (src/daemon/client.js and the constants), not the package's
 * index, which loads the whole engine: the client needs none of it; and
 * `npm run build` bundles it into one file (bench/bundle.ts), node's
 * builtins require()d, as a program shipping a lean client would.
 * Not a bench by itself: without arguments it exits at once.
 */
import { connectKeychain } from '../src/daemon/client.js';
import { kSecAttrAccount, kSecAttrService, kSecClass, kSecClassGenericPassword, kSecReturnData } from '../src/constants.js';

const [socket, service, account] = process.argv.slice(2);
if (account !== undefined) {
  const kc = await connectKeychain({ socket });
  const r = await kc.SecItemCopyMatching({ [kSecClass]: kSecClassGenericPassword, [kSecAttrService]: service, [kSecAttrAccount]: account, [kSecReturnData]: true });
  if (r.status !== 0) {
    process.stderr.write(`lookup: ${r.status}\n`);
    process.exitCode = 1;
  } else process.stdout.write(`${Buffer.from(r.result as Uint8Array).toString('utf8')}\n`);
  await kc.close();
}
