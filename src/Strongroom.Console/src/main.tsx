import { render } from 'preact';
import { App } from './ui/App.tsx';

async function start() {
  let region = 'us-east-1';
  try {
    const response = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
    const config = (await response.json()) as { region?: string };
    region = config.region ?? region;
  } catch {
    // The sign-in form lets the person type the region.
  }
  const root = document.getElementById('app');
  if (root) render(<App defaultRegion={region} />, root);
}

void start();
