'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

import { useApp } from '@/app/providers';

import { WalletButton } from './WalletButton';

const LINKS = [
  { href: '/', label: 'Marketplace' },
  { href: '/provider/', label: 'Provider console' },
  { href: '/jobs/view/', label: 'My jobs' },
];

export function Header() {
  const { config } = useApp();
  const path = usePathname();
  const active = (href: string) => (href === '/' ? path === '/' : path?.startsWith(href.replace(/\/$/, '')));
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4">
        <Link href="/" className="font-semibold">
          Compute<span className="text-indigo-600">Stream</span>
        </Link>
        <nav className="flex gap-1 text-sm">
          {LINKS.map((l) => (
            <Link
              key={l.href}
              href={l.href}
              className={`rounded-md px-3 py-1.5 ${active(l.href) ? 'bg-indigo-50 text-indigo-700' : 'text-slate-600 hover:bg-slate-100'}`}
            >
              {l.label}
            </Link>
          ))}
        </nav>
        <div className="ml-auto flex items-center gap-3">
          <span className="badge bg-slate-100 font-mono text-slate-600" title={`package ${config.package}`}>
            {config.network}
          </span>
          <WalletButton />
        </div>
      </div>
    </header>
  );
}
