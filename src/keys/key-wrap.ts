import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface WrappedSecret {
  iv: string;
  tag: string;
  data: string;
}

/** AES-256-GCM under a key derived from KEY_ENCRYPTION_SECRET; the kid is bound as AAD. */
export class KeyWrapper {
  readonly #key: Buffer;

  constructor(keyEncryptionSecret: string) {
    this.#key = Buffer.from(
      hkdfSync('sha256', keyEncryptionSecret, 'keyforge', 'signing-key-wrap', 32),
    );
  }

  wrap(plaintext: string, aad: string): WrappedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(aad));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      data: data.toString('base64url'),
    };
  }

  unwrap(w: WrappedSecret, aad: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(w.iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(w.tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(w.data, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }
}
