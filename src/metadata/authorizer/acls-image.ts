import type { Uuid } from "../../protocol/index.js";
import { AclIndex } from "./acl-index.js";
import type { StandardAcl } from "./standard-acl.js";

/**
 * The cluster's ACLs at one offset of the metadata log (Kafka's AclsImage): by the id of the
 * AccessControlEntryRecord that created each. Immutable; an image whose records change no ACL
 * keeps its predecessor's AclsImage, so the index built for authorization (on first use) lives
 * until the ACLs change.
 */
export class AclsImage {
  static readonly EMPTY = new AclsImage(new Map());

  readonly byId: ReadonlyMap<Uuid, StandardAcl>;
  private built: AclIndex | null = null;

  constructor(byId: ReadonlyMap<Uuid, StandardAcl>) {
    this.byId = byId;
  }

  get size(): number {
    return this.byId.size;
  }

  get index(): AclIndex {
    this.built ??= new AclIndex(this.byId.values());
    return this.built;
  }
}
