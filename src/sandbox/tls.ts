import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface TlsMaterial {
  /** PEM of the private CA that signed the server certificate: what a client must trust. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A private CA and a server certificate for 127.0.0.1 and localhost, made on the spot,
 * so the sandbox is reached over real TLS that a client verifies against a CA it was given.
 */
export function makeTls(hosts: string[] = ["127.0.0.1", "localhost", "::1"]): TlsMaterial {
  const ca = keyPair();
  const caCert = certificate({
    subject: "eviction-gateway sandbox CA",
    issuer: null,
    publicKey: ca.publicKey,
    signer: ca.privateKey,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = keyPair();
  const serverCert = certificate({
    subject: "eviction-gateway sandbox",
    issuer: caCert,
    publicKey: server.publicKey,
    signer: ca.privateKey,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: hosts.map((h) => (/^[\d.:]+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    ],
  });
  return {
    caPem: forge.pki.certificateToPem(caCert),
    certPem: forge.pki.certificateToPem(serverCert),
    keyPem: forge.pki.privateKeyToPem(server.privateKey),
  };
}

function keyPair() {
  // Node makes the key (fast, native); forge only signs.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString()) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

function certificate(o: {
  subject: string;
  issuer: forge.pki.Certificate | null;
  publicKey: forge.pki.PublicKey;
  signer: forge.pki.rsa.PrivateKey;
  extensions: object[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = o.publicKey;
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const subject = [{ name: "commonName", value: o.subject }];
  cert.setSubject(subject);
  cert.setIssuer(o.issuer ? o.issuer.subject.attributes : subject);
  cert.setExtensions(o.extensions);
  cert.sign(o.signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return cert;
}
