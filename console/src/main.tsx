/// <reference lib="dom" />
import { render } from 'preact';
import { App } from './app';
import { initI18n, initialLanguage } from './i18n';
import './styles.css';

await initI18n(initialLanguage());
render(<App />, document.getElementById('app')!);
