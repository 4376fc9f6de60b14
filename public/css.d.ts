/** esbuild's text loader: a stylesheet imported as its source text (the widget injects it into its shadow root). */
declare module '*.css' {
  const text: string;
  export default text;
}
