// tfjs-core's ESM files import siblings without extensions ("./gradients/Abs_grad"), which bundlers
// accept and Node's ESM loader does not. The gradient registry only ships in that ESM form, so
// the CLI retries such imports inside @tensorflow packages with ".js" (or "/index.js") appended.
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (e) {
    const retry = (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'ERR_UNSUPPORTED_DIR_IMPORT')
      && specifier.startsWith('.') && context.parentURL?.includes('/node_modules/@tensorflow/');
    if (!retry) throw e;
    try {
      return await nextResolve(`${specifier}.js`, context);
    } catch {
      return nextResolve(`${specifier}/index.js`, context);
    }
  }
}
