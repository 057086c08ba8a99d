/**
 * SecCertificate: an X.509 certificate held as its DER bytes.
 * @module
 */
export class SecCertificate {
  readonly #der: Uint8Array;

  private constructor(der: Uint8Array) {
    this.#der = der;
  }

  /** @internal for SecCertificateCreateWithData, after the DER is parsed and found well-formed. */
  static fromCheckedDer(der: Uint8Array): SecCertificate {
    return new SecCertificate(new Uint8Array(der));
  }

  /** A copy of the DER bytes. */
  get der(): Uint8Array {
    return new Uint8Array(this.#der);
  }
}
