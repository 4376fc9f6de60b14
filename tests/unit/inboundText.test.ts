import { htmlText, replyText } from '../../services/mail/inboundText';

/**
 * What is kept of a mailed reply: the customer's own words, without the quoted conversation or the signature.
 * The texts are anyone's input; the large hostile ones below once took seconds to minutes, and now go by in one pass.
 */
describe('a mailed reply’s own words', () => {
  it('leaves out quoted lines, the quote’s header and what follows, and the signature', () => {
    expect(replyText('Thanks!\r\n\r\nOn Fri, 4 Dec 2026 at 22:00, Ann <a@x.com> wrote:\r\n> old\r\n> older')).toBe('Thanks!');
    expect(replyText('Merci\nLe ven. 4 déc. 2026, Ann a écrit :\n> vieux')).toBe('Merci');
    expect(replyText('Danke\nAm 04.12.2026 schrieb Ann <a@x.com>:\n> alt')).toBe('Danke');
    expect(replyText('Yes\n> inline quote\nand more\n-- \nNina, from my phone')).toBe('Yes\nand more');
    expect(replyText('Hi\n-----Original Message-----\nFrom: x')).toBe('Hi');
  });

  it('HTML-only mails become text; scripts, styles and quoted blocks are left out; entities decoded', () => {
    expect(htmlText('<p>Is it <b>waterproof</b>?</p><blockquote>old</blockquote><p>A &amp; B &lt;3</p>').trim()).toBe('Is it waterproof?\n\nA & B <3');
    expect(htmlText('<style>p{}</style><script>alert(1)</script>Hello<br>there').trim()).toBe('Hello\nthere');
  });

  it('hostile shapes: unclosed tags and repeated headers by the hundred thousand', () => {
    expect(htmlText('<script'.repeat(40_000))).toBe('');
    expect(htmlText(`a${'<'.repeat(300_000)}`)).toBe('a');
    expect(htmlText('<script>'.repeat(40_000))).toBe('');
    expect(replyText(`Am ${'schrieb'.repeat(40_000)}`)).toBe(`Am ${'schrieb'.repeat(40_000)}`);
    expect(replyText(`ok\n${`On ${'x'.repeat(300)}\n`.repeat(2_000)}`).startsWith('ok')).toBe(true);
  });
});
