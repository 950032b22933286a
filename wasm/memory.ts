// Where the TypeScript-managed arena may begin: everything below is static data.
export function heap_base(): usize {
  return (__heap_base + 63) & ~63;
}
