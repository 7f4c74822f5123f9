/** The dashboard's entry point (replaced by the app shell in the next step). */
import { render } from 'preact';
import './styles.css';

render(<main><h1>Berth</h1></main>, document.getElementById('app')!);
