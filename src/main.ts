import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import UpdateNotice from './offline/UpdateNotice.svelte';
import { appUpdate } from './offline/update.svelte';

export default mount(App, { target: document.getElementById('app')! });

// Offline use in production builds only: in `npm run dev` a service worker would serve stale files. After `load`, so
// caching the app for next time does not compete with loading it now.
if (import.meta.env.PROD) {
  mount(UpdateNotice, { target: document.body });
  window.addEventListener('load', () => void appUpdate.register(), { once: true });
}
