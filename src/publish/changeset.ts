/**
 * A set of file changes that can be re-applied to fresh contents. The commit loop reads
 * `paths` at the branch head, calls `build` and commits what it returns. When the branch
 * moved in between, it reads and builds again, so no concurrent line is lost.
 */
export interface ChangeSet {
  /** Repository-relative paths (forward slashes) whose current content `build` needs. */
  paths: string[]
  /**
   * New contents from the current ones (null = file absent at the head). Must be a pure
   * function of its argument. Returns only the files to write; unchanged ones may be left out.
   */
  build(current: ReadonlyMap<string, string | null>): Map<string, string>
}
