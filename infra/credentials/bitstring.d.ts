/** Types of @digitalbazaar/bitstring 3.x (the package ships none): the GZIP + base64url bitstring of status lists. */
declare module '@digitalbazaar/bitstring' {
  export class Bitstring {
    constructor(options: { length: number; leftToRightIndexing?: boolean } | { buffer: Uint8Array; leftToRightIndexing?: boolean });
    readonly length: number;
    bits: Uint8Array;
    set(position: number, on: boolean): void;
    get(position: number): boolean;
    /** GZIP-compressed, then base64url (no padding). */
    encodeBits(): Promise<string>;
    static decodeBits(options: { encoded: string }): Promise<Uint8Array>;
  }
}
