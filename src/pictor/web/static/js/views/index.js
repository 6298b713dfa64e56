// The page's views, in the order of the navigation. Each module is loaded when first
// shown and exports render(root, ctx) → optional cleanup function (see app.js).

export const VIEWS = [
  { id: 'remove-background', title: 'Remove background', load: () => import('./remove-background.js') },
  { id: 'erase', title: 'Erase', load: () => import('./erase.js') },
  { id: 'watermark', title: 'Remove watermark', load: () => import('./watermark.js') },
  { id: 'logo', title: 'Logo studio', load: () => import('./logo.js') },
  { id: 'localize', title: 'Localize', load: () => import('./localize.js') },
  { id: 'generate', title: 'Generate & edit', load: () => import('./generate.js') },
  { id: 'studio', title: 'Studio chat', load: () => import('./studio.js') },
  { id: 'gallery', title: 'Gallery', load: () => import('./gallery.js') },
  { id: 'credits', title: 'Credits', load: () => import('./credits.js') },
];

export const SIGN_IN = { id: 'sign-in', title: 'Sign in', load: () => import('./sign-in.js') };
