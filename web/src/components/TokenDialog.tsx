import { useState } from 'react';
import { setApiToken } from '../lib/api-client.ts';
import { useUiStore } from '../store/ui-store.ts';
import { Modal } from './Modal.tsx';

/** Asked when the server answers 401: the editor is used from another machine. */
export function TokenDialog() {
  const [token, setToken] = useState('');
  const save = () => {
    if (!token.trim()) return;
    setApiToken(token.trim());
    window.location.reload();
  };
  return (
    <Modal
      title="This server needs an API token"
      testId="token-dialog"
      footer={
        <>
          <button type="button" onClick={() => useUiStore.getState().openDialog(null)}>
            Not now
          </button>
          <button type="button" className="pik-primary" onClick={save}>
            Use this token
          </button>
        </>
      }
    >
      <div className="pik-modal-body">
        <p className="pik-muted">
          From another machine the Pikflow API asks for the token set in <code>PIKFLOW_API_TOKEN</code> on the
          server. It is kept in this browser tab only.
        </p>
        <input
          type="text"
          aria-label="API token"
          value={token}
          placeholder="Bearer token"
          onChange={(e) => setToken(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && save()}
          data-testid="token-input"
        />
      </div>
    </Modal>
  );
}
