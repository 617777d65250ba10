// ESLint for the whole tree: typescript-eslint's type-aware recommended rules, Prettier's rules off
// (Prettier formats; `npm run lint` checks both). Each rule turned off or down below says why.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'fuzz/results/', 'soak/results/', 'fixtures/', 'containers/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Two programs: Node code and tests (tsconfig.test.json), the browser pages (web/tsconfig.json,
        // DOM lib, no Node types) — the same split `npm run typecheck` uses.
        project: ['./tsconfig.test.json', './web/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are errors, except the `_`-prefixed ones a signature or a destructuring needs.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Numbers, booleans and nulls in template literals are what log lines and error messages are
      // made of; objects and `unknown` still are errors (they print "[object Object]").
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // Event handlers and Node callbacks (socket.on('data', async …), setTimeout(async …)) catch
      // their own errors; only the argument check is relaxed, a floating promise is still an error.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      // Fastify plugins and route handlers, and implementations of async interfaces (sources, runtimes,
      // dispatchers), are async by contract whether or not their body awaits: Fastify treats a plugin
      // or handler by whether it returns a promise.
      '@typescript-eslint/require-await': 'off',
      // `let x; const stop = () => x?.destroy(); x = connect(…)`: a closure made before the one
      // assignment reads the variable, so it cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Rejecting with what a catch or an error callback was given passes the original error on, as a
      // rethrow does (only-throw-error allows that by default too).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
    },
  },
  {
    // Tests (and the bench's vitest fixtures) read answers parsed from JSON and assert on them.
    files: ['test/**/*.ts', 'bench/**/*.fixture.ts'],
    rules: {
      // `res.json()` is `any`; typing every answer a test reaches into would add nothing the
      // assertions do not already check, so `any` and its uses are allowed here (and only here).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Simulators and assertions compare String(jsonValue) against lists: an object there becomes
      // "[object Object]", which does not match, and that refusal is what they check.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
