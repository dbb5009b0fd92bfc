import type { Config } from 'tailwindcss';

const config: Config = {
  content: ['./src/**/*.{ts,tsx}'],
  theme: {
    extend: {
      fontFamily: {
        mono: ['ui-monospace', 'SFMono-Regular', 'Menlo', 'Consolas', 'monospace'],
      },
      colors: {
        accrued: '#0ea5e9',
        vouchered: '#8b5cf6',
        settled: '#10b981',
        refunded: '#f59e0b',
      },
    },
  },
  plugins: [],
};

export default config;
