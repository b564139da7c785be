/** Exports: the matrix as CSV / JSON / Markdown, the decision checklist, and a PyTorch Lightning script. No tfjs here. */
export * from './matrix';
export * from './checklist';
export { escapeMarkdown, csvField } from './text';
export { generateLightningScript, type LightningScript, type LightningScriptOptions } from './lightning/script';
export { TORCH_ARCHITECTURES, type LayerKind, type LayerShape } from './lightning/architectures';
