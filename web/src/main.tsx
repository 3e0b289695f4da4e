import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles/base.css';
import './styles/nodes.css';
import './styles/panels.css';
import { App } from './App.tsx';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { toast } from './store/ui-store.ts';
import { errorMessage } from './lib/api-client.ts';

// Anything that escapes an action still reaches the user as a sentence.
window.addEventListener('unhandledrejection', (e) => toast('error', errorMessage(e.reason)));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
