import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/*
 * Cross-origin isolation (COOP same-origin + COEP require-corp) lets tfjs-wasm use its threaded
 * SIMD build (SharedArrayBuffer). Everything the lab loads is same-origin (scripts, the worker,
 * wasm binaries, corpus shards under public/data), so require-corp blocks nothing. A static host
 * must send the same two headers (see README).
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/*
 * tfjs-backend-wasm starts its pthread workers from the text of its threaded factory function
 * (`factory.toString()` in a Blob), so that function must not use anything from the scope around
 * it. It reads the enclosing `_scriptDir` only behind `typeof _scriptDir !== "undefined"`, which
 * the minifier turns into a plain reference (`e!==void 0`) that throws in the worker ("e is not
 * defined"). In a module worker `_scriptDir` is always undefined and `mainScriptUrlOrBlob` is always
 * set, so both uses can go.
 */
function tfjsWasmThreadsSafeToMinify(): Plugin {
  const uses = [
    ['if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', ''],
    ['Module["mainScriptUrlOrBlob"]||_scriptDir', 'Module["mainScriptUrlOrBlob"]'],
  ] as const;
  return {
    name: 'growlab:tfjs-wasm-threads-safe-to-minify',
    apply: 'build',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
      let out = code;
      for (const [from, to] of uses) {
        if (!out.includes(from)) this.error(`tfjs-backend-wasm changed: "${from}" not found in ${id}; check that threaded wasm still starts in a built page`);
        out = out.replace(from, to);
      }
      return { code: out, map: null };
    },
  };
}

export default defineConfig({
  plugins: [react()],
  // Worker bundles get their own plugins: tfjs runs in the workers.
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsSafeToMinify()] },
  server: { port: 5173, strictPort: false, headers: isolation },


  preview: { port: 4173, strictPort: true, headers: isolation },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // bench.html: the browser benchmark page driven by `npm run bench:browser`.
    rollupOptions: { input: { main: resolve(import.meta.dirname, 'index.html'), bench: resolve(import.meta.dirname, 'bench.html') } },
  },
});
