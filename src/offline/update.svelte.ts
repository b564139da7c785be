import type { ServiceWorkerCommand } from './sw';

/**
 * The page's side of offline use: registers the service worker (src/offline/sw.ts) and says when a newer version of the
 * app is ready. The new version does not take over by itself, so a training run in progress keeps its files; the page
 * offers a reload instead, and the new version takes over anyway once every tab of the app is closed.
 */
class AppUpdate {
  /** A newer version is waiting, or already took over from another tab: reloading shows it. */
  available = $state(false);
  #waiting: ServiceWorker | null = null;

  async register(): Promise<void> {
    // Missing outside secure contexts (HTTPS or localhost): the app then works online only.
    if (!('serviceWorker' in navigator)) return;
    const container = navigator.serviceWorker;
    let registration: ServiceWorkerRegistration;
    try {
      // Beside index.html, so the scope is the folder the app is served from, whatever its path.
      registration = await container.register(new URL('sw.js', document.baseURI));
    } catch (error) {
      // E.g. a private window that allows no storage: everything but offline use still works.
      console.warn(`Offline use is not available: ${(error as Error).message}`);
      return;
    }
    const offer = (worker: ServiceWorker): void => {
      this.#waiting = worker;
      this.available = true;
    };
    // Installed on an earlier visit and still waiting (a plain reload does not let it take over).
    if (registration.waiting && container.controller) offer(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const installing = registration.installing;
      installing?.addEventListener('statechange', () => {
        // With no controller this is the first install: it takes the page over at once, nothing to offer.
        if (installing.state === 'installed' && container.controller) offer(installing);
      });
    });
    let controlled = container.controller !== null;
    container.addEventListener('controllerchange', () => {
      // Another tab let a new version take over and it deleted this version's caches: this tab should reload too.
      if (controlled) {
        this.#waiting = null;
        this.available = true;
      }
      controlled = true;
    });
  }

  /** Lets the waiting version take over, then reloads into it. */
  reload(): void {
    const waiting = this.#waiting;
    if (!waiting) {
      location.reload();
      return;
    }
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    waiting.postMessage({ type: 'skip-waiting' } satisfies ServiceWorkerCommand);
  }
}

export const appUpdate = new AppUpdate();
