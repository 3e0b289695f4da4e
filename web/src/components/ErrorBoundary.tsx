import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

/** Never a blank screen: a broken panel shows what happened and a way back. */
export class ErrorBoundary extends Component<{ children: ReactNode; area?: string }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`[pikflow] ${this.props.area ?? 'editor'} crashed`, error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="pik-crash" role="alert" data-testid="error-boundary">
        <h2>Something went wrong{this.props.area ? ` in the ${this.props.area}` : ''}</h2>
        <p className="pik-mono">{this.state.error.message}</p>
        <div className="pik-row">
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
          <button type="button" onClick={() => window.location.reload()}>
            Reload the editor
          </button>
        </div>
      </div>
    );
  }
}
