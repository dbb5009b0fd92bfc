import type { Metadata } from 'next';
import type { ReactNode } from 'react';

import './globals.css';

import { AppProviders } from './providers';

export const metadata: Metadata = {
  title: 'ComputeStream — per-second GPU marketplace',
  description: 'Rent GPUs by the second on Movement, paid with x402 payment streaming.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <AppProviders>{children}</AppProviders>
      </body>
    </html>
  );
}
